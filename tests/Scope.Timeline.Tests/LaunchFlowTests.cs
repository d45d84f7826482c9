using Scope.Events;

namespace Scope.Timeline.Tests;

/// <summary>Which synchronize each launch's flow ends at (the rules in LaunchFlows and docs/timeline.md).</summary>
public sealed class LaunchFlowTests
{
    private const uint Pid = 300, T1 = 300, T2 = 301;
    private const ulong S1 = 0x5100, S2 = 0x5200;
    private static readonly Records R = new(Pid);

    // Launch names are their stubs' hex (no registrations here): "cudaLaunchKernel" plus the ts says which.
    private static RecordingWriter Run(params byte[][] records)
    {
        var b = new TimelineBuilder();
        foreach (byte[] r in records)
            b.Add(r);
        var w = new RecordingWriter();
        b.Complete(w);
        return w;
    }

    private static ulong FlowOf(RecordingWriter w, ulong launchTs) =>
        Assert.Single(w.Slices, s => s.TsNs == launchTs && s.Category == "cuda").FlowOut;

    private static IReadOnlyList<ulong> EndedAt(RecordingWriter w, ulong syncTs) =>
        Assert.Single(w.Slices, s => s.TsNs == syncTs && s.Category == "cuda").FlowsIn;

    private static byte[] Launch(uint tid, ulong ts, ulong stream, ushort flags = 0, int ret = 0, int device = 0) =>
        R.Cuda(tid, CudaApi.LaunchKernel, ts, 10, ret: ret, func: 0xF00, stream: stream, flags: flags, device: device);

    private static byte[] StreamSync(uint tid, ulong ts, ulong stream, ushort flags = 0, int device = 0) =>
        R.Cuda(tid, CudaApi.StreamSynchronize, ts, 10, stream: stream, flags: flags, device: device);

    [Fact]
    public void A_stream_synchronize_ends_the_flows_of_its_stream_only_and_the_device_synchronize_the_rest()
    {
        var w = Run(Launch(T1, 100, S1), Launch(T1, 200, S2), Launch(T1, 300, S1), StreamSync(T1, 400, S1),
            R.Cuda(T1, CudaApi.DeviceSynchronize, 500, 10), R.Cuda(T1, CudaApi.DeviceSynchronize, 600, 10));
        Assert.Equal([FlowOf(w, 100), FlowOf(w, 300)], EndedAt(w, 400));
        Assert.Equal([FlowOf(w, 200)], EndedAt(w, 500));
        Assert.Empty(EndedAt(w, 600));
        Assert.Equal(3, new[] { FlowOf(w, 100), FlowOf(w, 200), FlowOf(w, 300) }.Distinct().Count(id => id != 0));
    }

    [Fact]
    public void The_legacy_default_stream_waits_for_every_stream_but_a_per_thread_stream_only_for_its_own()
    {
        var w = Run(
            Launch(T1, 100, S1),
            Launch(T1, 110, 0, flags: Wire.CudaPtsz),
            Launch(T2, 120, 2),
            StreamSync(T1, 200, 0, flags: Wire.CudaPtsz),
            StreamSync(T1, 300, 0));
        Assert.Equal([FlowOf(w, 110)], EndedAt(w, 200));
        Assert.Equal([FlowOf(w, 100), FlowOf(w, 120)], EndedAt(w, 300));
    }

    [Fact]
    public void Failed_launches_later_launches_and_other_devices_are_not_waited_for()
    {
        var w = Run(
            Launch(T1, 100, S1, ret: 700),
            Launch(T2, 250, S1),
            Launch(T1, 150, S1, device: 1),
            StreamSync(T1, 200, S1),
            Launch(T1, 260, S1),
            R.Cuda(T1, CudaApi.DeviceSynchronize, 300, 10, device: 1));
        Assert.Equal(0UL, FlowOf(w, 100));
        Assert.Empty(EndedAt(w, 200));

        // The launch on T2 entered after the synchronize did, though its record came first; the device-1
        // synchronize takes the device-1 launch and leaves the device-0 ones.
        Assert.Equal([FlowOf(w, 150)], EndedAt(w, 300));
        Assert.NotEqual(0UL, FlowOf(w, 250));
    }

    [Fact]
    public void A_graph_launch_has_a_flow_too_and_keeps_its_api_name()
    {
        var w = Run(R.Cuda(T1, CudaApi.GraphLaunch, 100, 10, func: 0x6000, stream: S1), StreamSync(T1, 200, S1));
        TraceSlice graph = Assert.Single(w.Named("cudaGraphLaunch"));
        Assert.Equal([graph.FlowOut], EndedAt(w, 200));
        Assert.Contains(TraceArg.String("graph", "0x6000"), graph.Args);
    }
}
