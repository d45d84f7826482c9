using System.Buffers.Binary;
using System.Text.Json.Nodes;
using CsCheck;

namespace Scope.Events.Tests;

/// <summary>Property tests: arbitrary input never throws and is never accepted unless it is the signed frame.</summary>
public sealed class FuzzTests
{
    private static readonly byte[] s_frame = Golden.Frame();
    private static readonly byte[] s_secret = Golden.Secret();

    [Fact]
    public void Random_bytes_are_never_accepted()
    {
        Gen.Byte.Array[0, 4096].Sample(bytes =>
        {
            Assert.NotEqual(BatchRejectReason.None, Accept(bytes));
            Walk(bytes);
        }, iter: 2000);
    }

    [Fact]
    public void Random_bytes_behind_a_sound_header_are_never_accepted()
    {
        // Past the magic/version/size checks, so the record walk and the MAC are what refuse them.
        Gen.Byte.Array[0, 4096].Sample(payload =>
        {
            byte[] frame = [.. s_frame.AsSpan(0, Wire.BatchHeaderSize), .. payload];
            BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(16), (uint)payload.Length);
            Assert.NotEqual(BatchRejectReason.None, Accept(frame));
        }, iter: 2000);
    }

    [Fact]
    public void Mutations_of_the_golden_frame_are_accepted_only_when_nothing_changed()
    {
        Gen<(int Kind, int Pos, byte Value, int Len)> mutation =
            Gen.Select(Gen.Int[0, 5], Gen.Int[0, s_frame.Length], Gen.Byte, Gen.Int[1, 64]);
        mutation.Array[1, 4].Sample(mutations =>
        {
            byte[] frame = s_frame;
            foreach (var m in mutations)
            {
                frame = Apply(frame, m.Kind, m.Pos, m.Value, m.Len);
            }

            BatchRejectReason reason = Accept(frame);
            if (frame.AsSpan().SequenceEqual(s_frame))
            {
                Assert.Equal(BatchRejectReason.None, reason);
            }
            else
            {
                Assert.NotEqual(BatchRejectReason.None, reason);
            }

            Walk(frame.AsSpan(Math.Min(frame.Length, Wire.BatchHeaderSize)));
        }, iter: 5000);
    }

    [Fact]
    public void Any_record_body_renders_valid_json()
    {
        // Valid type and size, anything else: exercises names, args, errors, sockaddrs and invalid UTF-8.
        RecordType[] types = Enum.GetValues<RecordType>();
        Gen.Select(Gen.Int[0, types.Length - 1], Gen.Byte.Array[1400], Gen.Int[0, 600], Gen.UShort[0, 3]).Sample((t, body, nr, kind) =>
        {
            RecordType type = types[t];
            byte[] record = body.AsSpan(0, Wire.RecordSize(type)).ToArray();
            BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)type);
            BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(2), (ushort)record.Length);
            if (type is RecordType.Syscall or RecordType.SyscallData or RecordType.SyscallHist)
            {
                // A number the table may know, so decoding specs run too.
                BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(48), (uint)nr);
            }

            if (type is RecordType.SyscallData)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(122), kind);
            }

            var records = BatchReader.EnumerateRecords(record);
            Assert.True(records.MoveNext());
            JsonNode json = JsonNode.Parse(EventJson.ToJson(records.Current))!;
            Assert.Equal(records.Current.Header.Pid, (uint)json["pid"]!);
        }, iter: 3000);
    }

    private static byte[] Apply(byte[] frame, int kind, int pos, byte value, int len)
    {
        pos = Math.Min(pos, frame.Length);
        int end = Math.Min(frame.Length, pos + len);
        return kind switch
        {
            0 when pos < frame.Length => Set(frame, pos, value),                    // overwrite a byte
            1 when pos < frame.Length => Set(frame, pos, (byte)(frame[pos] ^ (1 << (value & 7)))), // flip a bit
            2 => frame[..pos],                                                      // truncate
            3 => [.. frame[..pos], .. Enumerable.Repeat(value, len), .. frame[pos..]], // insert
            4 => [.. frame[..pos], .. frame[end..]],                                // delete
            _ => [.. frame, value],                                                 // append
        };
    }

    private static byte[] Set(byte[] frame, int pos, byte value)
    {
        byte[] copy = (byte[])frame.Clone();
        copy[pos] = value;
        return copy;
    }

    // Sample runs on several threads, and an authenticator is not thread-safe: one per call.
    private static BatchRejectReason Accept(byte[] frame)
    {
        using var auth = new BatchAuthenticator(s_secret);
        BatchRejectReason reason = BatchReader.TryParse(frame, auth, out _, out ReadOnlySpan<byte> payload);
        if (reason != BatchRejectReason.None)
        {
            Assert.True(payload.IsEmpty);
        }

        return reason;
    }

    // Walking any bytes as records never throws, and every record it yields renders.
    private static void Walk(ReadOnlySpan<byte> payload)
    {
        foreach (Record r in BatchReader.EnumerateRecords(payload))
        {
            Assert.Equal(Wire.RecordSize(r.Type), r.Bytes.Length);
            _ = EventJson.ToJson(r);
        }
    }
}
