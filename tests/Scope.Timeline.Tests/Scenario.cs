using Scope.Events;

namespace Scope.Timeline.Tests;

/// <summary>
/// One traced Python process with two threads. Thread A (the leader) runs main → train → step, seen by
/// samples and by the stacks taken at its CUDA calls; it allocates, launches a kernel named by a
/// registration (an ioctl inside the launch), synchronizes, fails an allocation, frees, and returns to
/// train. Thread B runs worker → load_batch. Records come in the collector's order: a call's record at
/// its return, so the ioctl before the launch that contains it.
/// </summary>
internal static class Scenario
{
    public const uint Pid = 100, ThreadA = 100, ThreadB = 101;
    public const ulong Main = 0x1000, Train = 0x2000, Step = 0x3000, Load = 0x4000, Worker = 0x5000;
    public const ulong KernelStub = 0xF00;
    public const string KernelName = "matmul(float const*, float*)";
    public const ulong Ptr = 0x7f00_0000_0000;
    public const ulong Bytes = 1 << 20;

    // Times in ns, not multiples of 1000, so the JSON microseconds have decimals.
    public const ulong ExecTs = 1_001, MallocTs = 25_050, MallocEnd = 26_050, LaunchTs = 30_123, LaunchEnd = 35_133,
        IoctlTs = 31_200, IoctlEnd = 32_250, SyncTs = 45_007, SyncEnd = 60_007, FailTs = 62_000, FreeTs = 65_000,
        FreeEnd = 66_000, ExitTs = 80_000;

    /// <summary>The records, and after which of them the test flushes a chunk.</summary>
    public static (List<byte[]> Records, int FlushAfter) Build()
    {
        var r = new Records(Pid);
        var list = new List<byte[]>
        {
            r.Exec(ExecTs, "/usr/bin/python3", "python3", "train.py", "--epochs", "1"),
            r.Register(Wire.CudaRegFunction, 0, KernelStub, "_Z6matmulPKfPf", KernelName),
            r.Code(Main, "main", "train.py"),
            r.Code(Train, "train", "train.py"),
            r.Code(Step, "Model.step", "model.py"),
            r.Code(Load, "load_batch", "data.py"),
            r.Code(Worker, "worker", "data.py"),
            r.Sample(ThreadA, 10_000, Step, Train, Main),
            r.Sample(ThreadB, 12_000, Load, Worker),
            r.Sample(ThreadA, 20_000, Step, Train, Main),
            r.Sample(ThreadB, 22_000, Load, Worker),
            r.AtCuda(ThreadA, MallocTs, Step, Train, Main),
            r.Cuda(ThreadA, CudaApi.Malloc, MallocTs, MallocEnd - MallocTs, ptr: Ptr, bytes: Bytes),
            r.Syscall(ThreadA, IoctlTs, IoctlEnd - IoctlTs, nr: 16),
            r.AtCuda(ThreadA, LaunchTs, Step, Train, Main),
            r.Cuda(ThreadA, CudaApi.LaunchKernel, LaunchTs, LaunchEnd - LaunchTs, func: KernelStub, stream: 0),
        };
        int flushAfter = list.Count;
        list.AddRange(
        [
            r.Sample(ThreadA, 40_000, Step, Train, Main),
            r.Sample(ThreadB, 42_000, Load, Worker),
            r.Cuda(ThreadA, CudaApi.DeviceSynchronize, SyncTs, SyncEnd - SyncTs),
            r.Cuda(ThreadA, CudaApi.Malloc, FailTs, 500, ret: 2, bytes: 1UL << 40),
            r.Cuda(ThreadA, CudaApi.Free, FreeTs, FreeEnd - FreeTs, ptr: Ptr),
            r.Sample(ThreadA, 70_000, Train, Main),
            r.Exit(ExitTs, code: 0),
        ]);
        return (list, flushAfter);
    }

    /// <summary>The scenario through a builder into <paramref name="writer"/>: one flush, then Complete.</summary>
    public static TimelineBuilder Write(ITraceWriter writer)
    {
        (List<byte[]> records, int flushAfter) = Build();
        var b = new TimelineBuilder();
        for (int i = 0; i < records.Count; i++)
        {
            b.Add(records[i]);
            if (i + 1 == flushAfter)
                b.Flush(writer);
        }

        b.Complete(writer);
        return b;
    }
}
