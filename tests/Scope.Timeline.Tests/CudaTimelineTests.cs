using Scope.Events;

namespace Scope.Timeline.Tests;

/// <summary>CUDA slices' names and annotations, the memory counters and the error instants.</summary>
public sealed class CudaTimelineTests
{
    private const uint Pid = 400;
    private static readonly Records R = new(Pid);

    private static RecordingWriter Run(params byte[][] records)
    {
        var b = new TimelineBuilder();
        foreach (byte[] r in records)
            b.Add(r);
        var w = new RecordingWriter();
        b.Complete(w);
        return w;
    }

    [Fact]
    public void Launches_are_named_by_their_kernels_through_every_kind_of_registration()
    {
        var w = Run(
            R.Cuda(Pid, CudaApi.LaunchKernel, 100, 10, func: 0x10),
            R.Cuda(Pid, CudaApi.LaunchKernel, 200, 10, func: 0x21),
            R.Cuda(Pid, CudaApi.CuLaunchKernel, 300, 10, func: 0x31),
            R.Cuda(Pid, CudaApi.CuLaunchKernel, 400, 10, func: 0x40),
            R.Cuda(Pid, CudaApi.LaunchKernel, 500, 10, func: 0x99),

            // Registrations may come after the launches they name, as long as before the flush.
            R.Register(Wire.CudaRegFunction, 0, 0x10, "_Z3addv", "add()"),
            R.Register(Wire.CudaRegKernelHandle, 0x21, 0x20, "_Z3mulv", "mul()"),
            R.Register(Wire.CudaRegModuleFunction, 0x31, 0x30, "scale_kernel", ""),
            R.Register(Wire.CudaRegLibraryKernel, 0x41, 0x3000, "lib_kernel", ""),
            R.Register(Wire.CudaRegKernelFunction, 0x40, 0x41, "", ""));
        Assert.Equal(["add()", "mul()", "scale_kernel", "lib_kernel", "cudaLaunchKernel"],
            w.Slices.OrderBy(s => s.TsNs).Select(s => s.Name));
        Assert.Contains(TraceArg.String("func", "0x99"), w.Slices.Single(s => s.TsNs == 500).Args);
    }

    [Fact]
    public void Annotations_say_bytes_direction_pointer_shape_stream_and_result()
    {
        var w = Run(
            R.Cuda(Pid, CudaApi.MemcpyAsync, 100, 10, ptr: 0xD000, bytes: 4096, stream: 0x77, kind: 1),
            R.Cuda(Pid, CudaApi.LaunchKernel, 200, 10, func: 0x10, stream: 0x77, flags: Wire.CudaPtsz));
        TraceSlice copy = Assert.Single(w.Named("cudaMemcpyAsync"));
        Assert.Equal(
            [TraceArg.Int("ret", 0), TraceArg.UInt("bytes", 4096), TraceArg.String("kind", "H2D"), TraceArg.String("ptr", "0xd000"),
             TraceArg.String("stream", "0x77"), TraceArg.Int("device", 0)],
            copy.Args);
        TraceSlice launch = Assert.Single(w.Slices, s => s.TsNs == 200);
        Assert.Contains(TraceArg.String("api", "cudaLaunchKernel_ptsz"), launch.Args);
        Assert.Contains(TraceArg.String("grid", "4x1x1"), launch.Args);
        Assert.Contains(TraceArg.String("block", "256x1x1"), launch.Args);
    }

    [Fact]
    public void Memory_per_device_follows_the_ledger_and_failed_calls_change_nothing_but_say_so()
    {
        var w = Run(
            R.Cuda(Pid, CudaApi.Malloc, 100, 10, ptr: 0xA0, bytes: 1000, device: 0),
            R.Cuda(Pid, CudaApi.Malloc, 200, 10, ptr: 0xB0, bytes: 500, device: 1),
            R.Cuda(Pid, CudaApi.Malloc, 300, 10, ret: 2, bytes: 1 << 30, device: 0),
            R.Cuda(Pid, CudaApi.MallocHost, 350, 10, ptr: 0xC0, bytes: 64, device: 0),
            R.Cuda(Pid, CudaApi.CuMemCreate, 400, 10, ptr: 0x1, bytes: 2000, device: 0),
            R.Cuda(Pid, CudaApi.Free, 500, 10, ptr: 0xA0, device: 0),
            R.Cuda(Pid, CudaApi.Free, 550, 10, ptr: 0xDEAD, device: 0),
            R.Cuda(Pid, CudaApi.CuMemRelease, 600, 10, ptr: 0x1, device: 0),
            R.Cuda(Pid, CudaApi.Free, 700, 10, ptr: 0xB0, device: 1));
        Assert.Equal([(110UL, 1000.0), (410, 3000), (510, 2000), (610, 0)], w.Counter("GPU memory (device 0)"));
        Assert.Equal([(210UL, 500.0), (710, 0)], w.Counter("GPU memory (device 1)"));
        TraceInstant error = Assert.Single(w.Instants);
        Assert.Equal(("cudaMalloc failed: 2", 300UL, TimelineCategories.CudaError), (error.Name, error.TsNs, error.Category));
        Assert.Equal([TraceArg.String("api", "cudaMalloc"), TraceArg.Int("ret", 2)], error.Args);
    }
}
