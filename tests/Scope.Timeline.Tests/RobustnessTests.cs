using System.Runtime.InteropServices;
using CsCheck;
using Scope.Events;

namespace Scope.Timeline.Tests;

/// <summary>Bad input is counted, never fatal; bounds hold; misuse is refused.</summary>
public sealed class RobustnessTests
{
    private const uint Pid = 700;
    private static readonly Records R = new(Pid);

    [Fact]
    public void Malformed_and_unknown_records_are_counted_and_the_rest_still_counts()
    {
        var b = new TimelineBuilder();
        byte[] good = R.Syscall(Pid, 10, 5, nr: 0);
        b.Add(good.AsSpan(0, 20));
        byte[] lying = (byte[])good.Clone();
        lying[2] = 121;
        b.Add(lying);
        b.Add(good.AsSpan(0, good.Length - 1));
        byte[] unknown = new byte[64];
        unknown[0] = 99;
        unknown[2] = 64;
        b.Add(unknown);
        b.Add(good);
        b.AddRecords([.. unknown, .. good, .. good.AsSpan(0, 60)]);
        Assert.Equal((4L, 2L, 2L), (b.Malformed, b.Unknown, b.Records));
        var w = new RecordingWriter();
        b.Complete(w);
        Assert.Equal(2, w.Named("read").Count());
    }

    [Fact]
    public void A_full_buffer_asks_for_a_flush_and_drops_what_comes_until_then()
    {
        var b = new TimelineBuilder(new TimelineOptions { MaxBufferedEvents = 4 });
        for (ulong i = 0; i < 6; i++)
            b.Add(R.Syscall(Pid, 100 * i, 5, nr: 0));
        Assert.True(b.ShouldFlush);
        Assert.Equal((4, 2L), (b.BufferedEvents, b.Dropped));
        var w = new RecordingWriter();
        b.Flush(w);
        Assert.False(b.ShouldFlush);
        Assert.Equal(0, b.BufferedEvents);
        Assert.Equal([0UL, 100, 200, 300], w.Slices.Select(s => s.TsNs));
    }

    [Fact]
    public void A_python_sample_deeper_than_a_record_holds_is_dropped_rather_than_misaligned()
    {
        var b = new TimelineBuilder();
        b.Add(R.Stack(Pid, 10, Wire.PyTruncated, 0x1, 0x2));
        Assert.Equal(1, b.Dropped);
        var w = new RecordingWriter();
        b.Complete(w);
        Assert.Empty(w.Slices);
    }

    [Fact]
    public void After_Complete_the_builder_takes_nothing()
    {
        var b = new TimelineBuilder();
        b.Complete(new RecordingWriter());
        Assert.Throws<InvalidOperationException>(() => b.Add(R.Syscall(Pid, 1, 1, nr: 0)));
        Assert.Throws<InvalidOperationException>(() => b.Flush(new RecordingWriter()));
        Assert.Throws<InvalidOperationException>(() => b.Complete(new RecordingWriter()));
    }

    [Fact]
    public void Random_records_of_every_type_never_break_the_builder_or_the_nesting()
    {
        RecordType[] types = [.. Enum.GetValues<RecordType>()];
        Gen.Select(Gen.Int[0, types.Length - 1], Gen.Byte.Array[1400], Gen.ULong[0, 1000], Gen.UInt[0, 3]).Array[1, 60].Sample(batch =>
        {
            var b = new TimelineBuilder(new TimelineOptions { MaxBufferedEvents = 40 });
            var w = new RecordingWriter();
            foreach (var (t, body, ts, tid) in batch)
            {
                int size = Wire.RecordSize(types[t]);
                byte[] record = body[..size];
                ref EventHeader h = ref MemoryMarshal.AsRef<EventHeader>(record.AsSpan());
                (h.Type, h.Size, h.TsNs, h.Pid, h.Tid, h.StartNs) = (types[t], (ushort)size, ts, 1, tid, 0);
                b.Add(record);
                if (b.ShouldFlush)
                    b.Flush(w);
            }

            b.Complete(w);
            Assert.Equal(batch.Length, b.Records);
        }, iter: 300);
    }

    [Fact]
    public void Random_records_decode_as_a_valid_perfetto_trace()
    {
        RecordType[] types = [RecordType.Syscall, RecordType.CudaCall, RecordType.PythonSample, RecordType.PythonCall, RecordType.ProcessExit];
        Gen.Select(Gen.Int[0, types.Length - 1], Gen.Byte.Array[1400], Gen.ULong[0, 1000], Gen.ULong[0, 300]).Array[1, 40].Sample(batch =>
        {
            using var file = new MemoryStream();
            using (var writer = new PerfettoTraceWriter(file, leaveOpen: true))
            {
                var b = new TimelineBuilder();
                foreach (var (t, body, ts, dur) in batch)
                {
                    int size = Wire.RecordSize(types[t]);
                    byte[] record = body[..size];
                    ref EventHeader h = ref MemoryMarshal.AsRef<EventHeader>(record.AsSpan());
                    (h.Type, h.Size, h.TsNs, h.Pid, h.Tid, h.StartNs) = (types[t], (ushort)size, ts, 1, 1, 0);

                    // Durations sit right after the header in syscalls (at +16), CUDA calls (+8) and Python calls (+0).
                    int durAt = types[t] switch { RecordType.Syscall => 64, RecordType.CudaCall => 56, _ => 48 };
                    if (types[t] is RecordType.Syscall or RecordType.CudaCall or RecordType.PythonCall)
                        BitConverter.TryWriteBytes(record.AsSpan(durAt), dur);
                    b.Add(record);
                }

                b.Complete(writer);
            }

            DecodedTrace.Decode(file.ToArray());
        }, iter: 40);
    }
}

/// <summary>What the tracer itself makes a process do is not the program's timeline.</summary>
public sealed class TracerSyscallTests
{
    private const uint Pid = 710;
    private static readonly Records R = new(Pid);

    [Fact]
    public void The_uretprobe_trampoline_syscall_is_left_out_and_counted_and_nothing_is_clipped()
    {
        // A probed call returns through the kernel's uretprobe trampoline: its syscall enters before the
        // return probe stamps the call's end and leaves after it, straddling the end of the call.
        var b = new TimelineBuilder();
        b.Add(R.Syscall(Pid, 100, 900, nr: 0)); // read, inside the call
        b.Add(R.Syscall(Pid, 1990, 30, nr: (uint)SyscallTable.Default.Number("uretprobe")));
        b.Add(R.Cuda(Pid, CudaApi.Malloc, 50, 1950, ptr: 0x1000, bytes: 64));
        var w = new RecordingWriter();
        b.Complete(w);
        Assert.Equal(1, b.TracerSyscalls);
        Assert.Equal(0, b.Clipped);
        Assert.Empty(w.Named("uretprobe"));
        Assert.Single(w.Named("read"));
        Assert.Single(w.Named("cudaMalloc"));
    }
}
