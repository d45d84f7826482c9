using static Scope.Timeline.Tests.Scenario;

namespace Scope.Timeline.Tests;

/// <summary>The scenario written as a Perfetto trace in two chunks, decoded by protoc.</summary>
public sealed class PerfettoScenarioTests
{
    private static readonly Lazy<(DecodedTrace Trace, TimelineBuilder Builder)> s_written = new(() =>
    {
        using var file = new MemoryStream();
        TimelineBuilder b;
        using (var writer = new PerfettoTraceWriter(file, leaveOpen: true))
            b = Scenario.Write(writer);
        return (DecodedTrace.Decode(file.ToArray()), b);
    });

    private static DecodedTrace Trace => s_written.Value.Trace;

    [Fact]
    public void Two_chunks_decode_as_one_trace_with_every_interned_name_resolved()
    {
        Assert.Equal(2, Trace.Chunks);
        Assert.All(Trace.Events.Where(e => e.Type is "TYPE_SLICE_BEGIN" or "TYPE_INSTANT"), e => Assert.False(string.IsNullOrEmpty(e.Name)));
        Assert.Equal(0, s_written.Value.Builder.Malformed);
        Assert.Equal(0, s_written.Value.Builder.Dropped);
    }

    [Fact]
    public void The_process_track_names_pid_comm_and_command_line_and_owns_both_threads()
    {
        DecodedTrack process = Assert.Single(Trace.Tracks.Values, t => t.Process is not null);
        Assert.Equal(100, process.Process!.Int("pid"));
        Assert.Equal("python3", process.Process.Text("process_name"));
        Assert.Equal(["python3", "train.py", "--epochs", "1"], process.Process.All("cmdline").Select(c => c.Value));
        Assert.Equal("python3 100: python3 train.py --epochs 1", process.Name);

        DecodedTrack a = Trace.ThreadTrack((int)ThreadA), b = Trace.ThreadTrack((int)ThreadB);
        Assert.Equal(process.Uuid, a.Parent);
        Assert.Equal(process.Uuid, b.Parent);
        Assert.Equal("python3", a.Thread!.Text("thread_name"));
        Assert.Equal("python3-101", b.Thread!.Text("thread_name"));
        Assert.Equal(100, b.Thread.Int("pid"));
    }

    [Fact]
    public void On_thread_A_python_frames_enclose_the_launch_which_encloses_its_ioctl()
    {
        DecodedTrack a = Trace.ThreadTrack((int)ThreadA);
        DecodedSlice launch = Assert.Single(Trace.SlicesOn(a), s => s.Name == KernelName);
        Assert.Equal((LaunchTs, LaunchEnd, "cuda"), (launch.Start, launch.End, launch.Category));
        Assert.Equal("cudaLaunchKernel", launch.Begin.Args["api"]);
        Assert.Equal("\"4x1x1\"", $"\"{launch.Begin.Args["grid"]}\"");

        DecodedSlice ioctl = Assert.Single(Trace.SlicesOn(a), s => s.Name == "ioctl");
        Assert.Equal((IoctlTs, IoctlEnd, "syscall"), (ioctl.Start, ioctl.End, ioctl.Category));
        Assert.Same(launch.Begin, ioctl.Parent!.Begin);

        // The launch's parents, innermost first: the frames of the stack taken at it, derived and marked so.
        var chain = new List<DecodedSlice>();
        for (DecodedSlice? p = launch.Parent; p is not null; p = p.Parent)
            chain.Add(p);
        Assert.Equal(["Model.step", "train", "main"], chain.Select(p => p.Name));
        Assert.All(chain, p => Assert.Equal("python.derived", p.Category));
        Assert.All(chain, p => Assert.Equal("true", p.Begin.Args["derived"]));
        Assert.Equal("model.py", chain[0].Begin.Args["file"]);

        // step was first seen by the sample at 10 µs and last by the stack at the launch.
        Assert.Equal((10_000UL, LaunchEnd), (chain[0].Start, chain[0].End));
    }

    [Fact]
    public void Thread_B_keeps_its_own_functions_and_none_of_A()
    {
        DecodedTrack a = Trace.ThreadTrack((int)ThreadA), b = Trace.ThreadTrack((int)ThreadB);
        string[] onB = [.. Trace.SlicesOn(b).Select(s => s.Name).Distinct().Order()];
        Assert.Equal(["load_batch", "worker"], onB);
        Assert.DoesNotContain(Trace.SlicesOn(a), s => s.Name is "load_batch" or "worker");
        DecodedSlice load = Assert.Single(Trace.SlicesOn(b), s => s.Name == "load_batch" && s.Start == 12_000);
        Assert.Equal(22_000UL, load.End);
    }

    [Fact]
    public void A_flow_goes_from_the_launch_to_the_synchronize_that_waits_for_it()
    {
        DecodedTrack a = Trace.ThreadTrack((int)ThreadA);
        DecodedSlice launch = Assert.Single(Trace.SlicesOn(a), s => s.Name == KernelName);
        DecodedSlice sync = Assert.Single(Trace.SlicesOn(a), s => s.Name == "cudaDeviceSynchronize");
        ulong flow = Assert.Single(launch.Begin.FlowIds);
        Assert.Equal([flow], sync.Begin.TerminatingFlowIds);
        Assert.Equal((SyncTs, SyncEnd), (sync.Start, sync.End));
        Assert.Single(Trace.Events, e => e.FlowIds.Contains(flow));

        // The synchronize happened after the flush: the arrow crosses chunks, and train still encloses it.
        Assert.Equal("train", sync.Parent!.Name);
    }

    [Fact]
    public void GPU_memory_rises_at_the_malloc_and_falls_at_the_free_in_bytes()
    {
        DecodedTrack memory = Trace.CounterTrack("GPU memory (device 0)");
        Assert.Equal("UNIT_SIZE_BYTES", memory.Counter!.Text("unit"));
        Assert.Equal(Trace.Tracks.Values.Single(t => t.Process is not null).Uuid, memory.Parent);
        var values = Trace.EventsOn(memory).Select(e => (e.Ts, e.Counter)).ToList();
        Assert.Equal([(MallocEnd, (double?)Bytes), (FreeEnd, 0)], values);
    }

    [Fact]
    public void The_syscall_rate_counts_per_second_in_100ms_buckets()
    {
        DecodedTrack rate = Trace.CounterTrack("syscalls/s");
        Assert.Equal([(0UL, (double?)10), (100_000_000UL, 0)], Trace.EventsOn(rate).Select(e => (e.Ts, e.Counter)));
    }

    [Fact]
    public void Exec_exit_and_the_failed_malloc_are_instants_with_their_details()
    {
        DecodedTrack process = Assert.Single(Trace.Tracks.Values, t => t.Process is not null);
        var instants = Trace.Events.Where(e => e.Type == "TYPE_INSTANT").ToList();
        DecodedEvent exec = Assert.Single(instants, e => e.Name == "exec");
        Assert.Equal((ExecTs, process.Uuid), (exec.Ts, exec.Track));
        Assert.Equal("/usr/bin/python3", exec.Args["filename"]);
        DecodedEvent exit = Assert.Single(instants, e => e.Name == "exit");
        Assert.Equal((ExitTs, "0", "0"), (exit.Ts, exit.Args["exit_code"], exit.Args["signal"]));
        DecodedEvent failed = Assert.Single(instants, e => e.Name == "cudaMalloc failed: 2");
        Assert.Equal((FailTs, Trace.ThreadTrack((int)ThreadA).Uuid), (failed.Ts, failed.Track));
        Assert.Equal(("cudaMalloc", "2"), (failed.Args["api"], failed.Args["ret"]));
        Assert.Equal(["cuda.error"], failed.Categories);
    }

    [Fact]
    public void Events_are_written_in_time_order_within_each_chunk()
    {
        Assert.Equal([1, 2], Trace.Events.Select(e => e.Chunk).Distinct());
        foreach (var chunk in Trace.Events.GroupBy(e => e.Chunk))
        {
            ulong[] times = [.. chunk.Select(e => e.Ts)];
            Assert.Equal(times.Order(), times);
        }
    }

    [Fact]
    public void The_raw_decoder_reads_the_file_as_protobuf()
    {
        using var file = new MemoryStream();
        using (var writer = new PerfettoTraceWriter(file, leaveOpen: true))
            Scenario.Write(writer);
        string raw = Protoc.DecodeRaw(file.ToArray());

        // Every top-level field is a packet (field 1), each a message.
        string[] top = [.. raw.Split('\n').Where(l => l.Length > 0 && !char.IsWhiteSpace(l[0]) && l != "}")];
        Assert.NotEmpty(top);
        Assert.All(top, l => Assert.Equal("1 {", l));
    }
}
