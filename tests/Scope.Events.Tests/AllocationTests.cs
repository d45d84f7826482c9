namespace Scope.Events.Tests;

/// <summary>The receive path (parse, verify, walk, read headers) allocates nothing per batch.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Parse_verify_and_walk_allocate_nothing()
    {
        byte[] frame = Golden.Frame();
        using var auth = new BatchAuthenticator(Golden.Secret());

        // Warm up: JIT, static initialisers and the HMAC state's first use.
        ulong warm = Decode(frame, auth, 10);
        Assert.NotEqual(0ul, warm);

        long before = GC.GetAllocatedBytesForCurrentThread();
        ulong sum = Decode(frame, auth, 1000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(warm * 100, sum);
    }

    private static ulong Decode(byte[] frame, BatchAuthenticator auth, int times)
    {
        ulong sum = 0;
        for (int i = 0; i < times; i++)
        {
            if (BatchReader.TryParse(frame, out BatchHeader header, out ReadOnlySpan<byte> payload) != BatchRejectReason.None || !auth.Verify(frame))
            {
                throw new InvalidOperationException("the golden frame was refused");
            }

            sum += header.Sequence;
            foreach (Record r in BatchReader.EnumerateRecords(payload))
            {
                ref readonly EventHeader h = ref r.Header;
                sum += h.Pid + h.TsNs + h.Comm[0];
                sum += r.Type switch
                {
                    RecordType.Syscall => r.As<Syscall>().DurNs + r.As<Syscall>().Args[2],
                    RecordType.ProcessExit => (ulong)r.As<ProcessExit>().ExitCode,
                    _ => 0,
                };
            }
        }

        return sum;
    }
}
