using System.Buffers.Binary;
using CsCheck;
using static Scope.Events.Tests.CudaRecords;

namespace Scope.Events.Tests;

/// <summary>Records come from the wire: nothing applied to a ledger makes it throw, and malformed records change nothing.</summary>
public sealed class CudaLedgerRobustnessTests
{
    [Fact]
    public void Malformed_records_are_ignored()
    {
        var ledger = new CudaLedger();
        byte[] good = Call(CudaApi.Malloc, 10, ptr: 0xA, bytes: 5);

        ledger.Apply([], 0);
        ledger.Apply(good.AsSpan(0, 47), 0);          // shorter than a header
        ledger.Apply(good.AsSpan(0, 143), 0);         // shorter than its type
        byte[] badSize = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(badSize.AsSpan(2), 200);
        ledger.Apply(badSize, 0);                     // a size field that is not its type's
        byte[] unknown = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(unknown, 99);
        ledger.Apply(unknown, 0);                     // a type the ledger does not know
        ledger.Apply(Golden.RecordBytes("syscall_read"), 0); // a type it does not use

        CudaSummary s = ledger.Summary();
        Assert.Equal(0, s.Operations);
        Assert.Equal(0, s.LiveAllocations);
        Assert.Equal((0L, 0L), (s.FirstUnixNs, s.LastUnixNs));

        // A record followed by more bytes is still that record.
        ledger.Apply([.. good, .. good], 0);
        Assert.Equal(1, ledger.Operations);
        Assert.Equal(1, ledger.Summary().LiveAllocations);
    }

    [Fact]
    public void Extreme_values_do_not_throw()
    {
        var ledger = new CudaLedger();
        ledger.Apply(Call(CudaApi.Malloc, ulong.MaxValue, ptr: 1, bytes: ulong.MaxValue, device: int.MinValue, dur: ulong.MaxValue), long.MaxValue);
        ledger.Apply(Call(CudaApi.Memcpy, 0, kind: int.MinValue, bytes: ulong.MaxValue, dur: ulong.MaxValue), long.MinValue);
        ledger.Apply(Call((CudaApi)0xFFFF, 1, ret: -1), 0);
        ledger.Apply(Stack((CudaApi)0xFFFF, 1, 1), 0);
        Assert.Equal(long.MaxValue, ledger.LiveAllocations(1)[0].Bytes);
        Assert.Equal(1, ledger.Summary().CallsByApi["api_65535"]);
        Assert.Equal(new CudaErrorStat("api_65535", -1, 1), Assert.Single(ledger.Summary().Errors));
        _ = ledger.Leaks(long.MinValue, TimeSpan.MinValue);
        _ = ledger.Leaks(long.MaxValue, TimeSpan.MaxValue);
        _ = ledger.Metrics(0);
    }

    [Fact]
    public void Any_bytes_of_any_used_type_apply_and_every_view_renders()
    {
        RecordType[] types = [RecordType.CudaCall, RecordType.CudaRegister, RecordType.CudaStack, RecordType.Symbol, RecordType.ProcessExit];
        Gen.Select(Gen.Int[0, types.Length - 1], Gen.Byte.Array[600], Gen.UShort[0, 40], Gen.Int[0, 2]).Array[1, 40].Sample(batch =>
        {
            var ledger = new CudaLedger(new CudaLedgerOptions { MaxLiveAllocations = 8 });
            foreach ((int t, byte[] body, ushort api, int mangle) in batch)
            {
                RecordType type = types[t];
                byte[] record = body.AsSpan(0, Wire.RecordSize(type)).ToArray();
                BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)type);
                BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(2), (ushort)record.Length);
                if (type is RecordType.CudaCall or RecordType.CudaStack)
                {
                    // An API the ledger acts on, and a few tids and times so stacks pair.
                    BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(48), api);
                    BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(28), (uint)(api % 3));
                    BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(8), (ulong)(api % 2));
                }

                ledger.Apply(mangle switch { 0 => record, 1 => record.AsSpan(0, record.Length / 2), _ => body }, body[0] * 1000L);
            }

            CudaSummary s = ledger.Summary();
            Assert.True(s.LiveAllocations <= 8);
            Assert.True(s.Operations <= batch.Length);
            Assert.Equal(s.LiveAllocations, ledger.LiveAllocations(100).Count);
            foreach (CudaAllocation a in ledger.LiveAllocations(100))
                Assert.All(a.Stack, f => Assert.False(string.IsNullOrEmpty(f.ToString())));
            _ = ledger.Kernels(100);
            _ = ledger.Leaks(0);
            _ = ledger.Metrics(0);
        }, iter: 2000);
    }
}
