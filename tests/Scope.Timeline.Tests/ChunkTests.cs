using Scope.Events;

namespace Scope.Timeline.Tests;

/// <summary>What crosses a flush and what does not: derived frames, late slices, rate buckets, exited processes.</summary>
public sealed class ChunkTests
{
    private const uint Pid = 500;
    private const ulong A = 0xA1, B = 0xB1;
    private static readonly Records R = new(Pid);

    [Fact]
    public void Derived_frames_end_at_a_flush_and_open_again_in_the_next_chunk()
    {
        var b = new TimelineBuilder();
        var w = new RecordingWriter();
        b.Add(R.Code(A, "outer", "x.py"));
        b.Add(R.Sample(Pid, 10, A));
        b.Add(R.Sample(Pid, 20, A));
        b.Flush(w);
        b.Add(R.Sample(Pid, 30, A));
        b.Add(R.Sample(Pid, 40, A));
        b.Complete(w);
        Assert.Equal([(10UL, 10UL), (30UL, 10UL)], w.Named("outer").Select(s => (s.TsNs, s.DurNs)));
        Assert.Equal(2, w.Chunks);
        Assert.True(w.Finished);
    }

    [Fact]
    public void A_late_call_that_would_cross_a_slice_an_earlier_chunk_wrote_is_clipped_so_the_file_still_nests()
    {
        using var file = new MemoryStream();
        var b = new TimelineBuilder();
        using (var writer = new PerfettoTraceWriter(file, leaveOpen: true))
        {
            b.Add(R.Code(A, "step", "x.py"));
            b.Add(R.Sample(Pid, 10, A));
            b.Add(R.Sample(Pid, 50, A));
            b.Add(R.Sample(Pid, 60, B));
            b.Flush(writer);

            // A generator resumed inside step that returned after the step's last sample.
            b.Add(R.Call(Pid, 40, 30, "gen", "x.py"));
            b.Complete(writer);
        }

        DecodedTrace trace = DecodedTrace.Decode(file.ToArray());
        DecodedSlice step = Assert.Single(trace.Slices, s => s.Name == "step");
        DecodedSlice gen = Assert.Single(trace.Slices, s => s.Name == "gen");
        Assert.Equal((10UL, 50UL), (step.Start, step.End));
        Assert.Equal((40UL, 50UL, "python"), (gen.Start, gen.End, gen.Category));
        Assert.Same(step.Begin, gen.Parent!.Begin);
        Assert.Equal((1L, 1L), (b.Clipped, b.ClippedReal));
    }

    [Fact]
    public void Within_a_chunk_an_exact_call_keeps_its_times_and_the_derived_frame_gives_way()
    {
        var b = new TimelineBuilder();
        var w = new RecordingWriter();
        b.Add(R.Code(A, "train", "x.py"));
        b.Add(R.Sample(Pid, 10, A));
        b.Add(R.Sample(Pid, 100, A));
        b.Add(R.Call(Pid, 50, 100, "callback", "cb.py", depth: 2));
        b.Complete(w);
        TraceSlice callback = Assert.Single(w.Named("callback"));
        Assert.Equal((50UL, 100UL, TimelineCategories.Python), (callback.TsNs, callback.DurNs, callback.Category));
        Assert.Equal([TraceArg.String("file", "cb.py"), TraceArg.UInt("line", 7), TraceArg.UInt("depth", 2)], callback.Args);
        Assert.Equal((10UL, 40UL), (w.Named("train").Single().TsNs, w.Named("train").Single().DurNs));
        Assert.Equal((1L, 0L), (b.Clipped, b.ClippedReal));
    }

    [Fact]
    public void Rate_buckets_are_written_whole_once_and_late_syscalls_are_counted()
    {
        var b = new TimelineBuilder();
        var w = new RecordingWriter();
        b.Add(R.Syscall(Pid, 50_000_000, 10, nr: 0));
        b.Flush(w);
        Assert.Empty(w.Counters);
        b.Add(R.Syscall(Pid, 60_000_000, 10, nr: 0));
        b.Add(R.Syscall(Pid, 150_000_000, 10, nr: 1));
        b.Add(R.Syscall(Pid, 350_000_000, 10, nr: 1));
        b.Flush(w);
        b.Add(R.Syscall(Pid, 70_000_000, 10, nr: 0));
        b.Complete(w);
        Assert.Equal(
            [(0UL, 20.0), (100_000_000, 10), (200_000_000, 0), (300_000_000, 10), (400_000_000, 0)],
            w.Counter("syscalls/s"));
        Assert.Equal(1, b.LateSyscalls);

        // The late syscall is still on its thread's track.
        Assert.Equal(5, w.Slices.Count);
        Assert.Equal(["read", "read", "write", "write", "read"], w.Slices.Select(s => s.Name));
    }

    [Fact]
    public void A_process_without_exec_is_named_after_its_leader_and_an_exec_renames_it_with_its_command_line()
    {
        var other = new Records(600, comm: "worker");
        var b = new TimelineBuilder();
        var w = new RecordingWriter();
        b.Add(other.Syscall(601, 10, 1, nr: 0));
        b.Flush(w);
        b.Add(other.Syscall(600, 20, 1, nr: 0));
        b.Flush(w);
        b.Add(other.Exec(30, "/bin/app", "app", "--fast"));
        b.Complete(w);
        Assert.Equal(["worker-601 600", "worker 600", "worker 600: app --fast"], w.ProcessLabels);
    }

    [Fact]
    public void An_exited_process_is_forgotten_after_its_last_chunk_and_its_held_stack_is_written()
    {
        var b = new TimelineBuilder();
        var w = new RecordingWriter();
        b.Add(R.Code(A, "alloc", "x.py"));
        b.Add(R.AtCuda(Pid, 100, A));
        b.Add(R.Exit(200));
        b.Flush(w);
        Assert.Single(w.Named("alloc"));
        int before = w.Slices.Count;
        b.Flush(w);
        Assert.Equal(before, w.Slices.Count);
        Assert.Equal(2, w.Chunks);
    }

    [Fact]
    public void Interleaved_processes_and_a_reused_pid_get_tracks_of_their_own()
    {
        var first = new Records(800, startNs: 1, comm: "a");
        var reused = new Records(800, startNs: 2, comm: "b");
        var other = new Records(900, comm: "c");
        var b = new TimelineBuilder();
        var w = new RecordingWriter();
        b.Add(first.Syscall(800, 10, 1, nr: 0));
        b.Add(other.Syscall(900, 11, 1, nr: 1));
        b.Add(reused.Syscall(800, 12, 1, nr: 3));
        b.Add(other.Syscall(900, 13, 1, nr: 1));
        b.Complete(w);
        Assert.Equal(["a 800", "b 800", "c 900"], w.ProcessLabels);
        Assert.Equal(3, w.Slices.Select(s => s.Track).Distinct().Count());
        Assert.Equal([10UL, 11, 12, 13], w.Slices.Select(s => s.TsNs));
        Assert.Equal(["write", "write"], w.Slices.Where(s => s.Track == w.Slices[1].Track).Select(s => s.Name));
    }
}
