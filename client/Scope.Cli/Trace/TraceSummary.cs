using Scope.Events;

namespace Scope.Cli.Trace;

/// <summary>What `scope trace` prints at the end, and writes with --summary-json (snake_case keys).</summary>
internal sealed record TraceSummary(
    IReadOnlyList<string> Command,
    int? ExitCode,
    double ElapsedSeconds,
    long Records,
    TraceDrops Drops,
    IReadOnlyList<TracedProcessInfo> Processes,
    CudaPart Cuda,
    PythonPart Python,
    IReadOnlyDictionary<string, SyscallPart> Syscalls,
    string Trace)
{
    public const int TopKernels = 10;
    public const int TopFunctions = 10;

    public static TraceSummary Build(TraceOptions o, LocalPipeline pipeline, long inboxRejected, int? exitCode, TimeSpan elapsed, string trace)
    {
        var processes = pipeline.Processes.OrderBy(p => p.StartNs).ThenBy(p => p.Pid).ToList();
        var drops = new TraceDrops(pipeline.KernelDrops[0], pipeline.KernelDrops[1], pipeline.KernelDrops[2], pipeline.SendDrops, pipeline.Gaps, inboxRejected);
        var cudaProcesses = processes.Where(p => p.Cuda is { } l && (l.Operations > 0 || l.Summary().DistinctKernels > 0)).ToList();

        var kernels = cudaProcesses
            .SelectMany(p => p.Cuda!.Kernels(int.MaxValue))
            .GroupBy(k => k.Name, StringComparer.Ordinal)
            .Select(g => new KernelPart(g.Key, g.Sum(k => k.Launches), g.Sum(k => k.Errors), g.Sum(k => k.TotalCallNs)))
            .OrderByDescending(k => k.Count).ThenBy(k => k.Name, StringComparer.Ordinal)
            .Take(TopKernels).ToList();
        var summaries = cudaProcesses.Select(p => p.Cuda!.Summary()).ToList();
        var memcpy = summaries
            .SelectMany(s => s.Copies)
            .GroupBy(c => c.Direction, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g =>
            {
                long syncBytes = g.Sum(c => c.SyncBytes), syncNs = g.Sum(c => c.SyncDurationNs);
                return new MemcpyPart(g.Sum(c => c.Count), g.Sum(c => c.Bytes), g.Sum(c => c.DurationNs),
                    syncNs > 0 ? syncBytes * 1e9 / syncNs : null);
            }, StringComparer.Ordinal);
        // One process's device memory at its peak, summed over its devices: the largest of the run.
        long peak = summaries.Select(s => s.Devices.Sum(d => d.PeakBytes)).DefaultIfEmpty(0).Max();
        long nowUnixNs = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * TimeSpan.NanosecondsPerTick;
        var leaks = cudaProcesses
            .Where(p => p.Cuda!.Exited)
            .SelectMany(p => p.Cuda!.Leaks(nowUnixNs).Select(l => new LeakPart(
                p.Pid, l.Allocation.Ptr, l.Allocation.Bytes, l.Allocation.Device, l.Allocation.Api,
                [.. l.Allocation.Stack.Select(f => f.ToString())],
                [.. l.Allocation.PythonStack.Select(f => new PythonFramePart(f.Function, f.File, f.Line))])))
            .OrderByDescending(l => l.Bytes).ToList();
        var errors = summaries.SelectMany(s => s.Errors)
            .GroupBy(e => (e.Api, e.Code)).Select(g => new CudaErrorPart(g.Key.Api, g.Key.Code, g.Sum(e => e.Count)))
            .OrderByDescending(e => e.Count).ToList();
        var cuda = new CudaPart(summaries.Sum(s => s.Operations), kernels, memcpy, peak, leaks, errors);

        var top = processes.Where(p => p.Python is not null)
            .SelectMany(p => p.Python!.Top(int.MaxValue, 1))
            .GroupBy(f => (f.Function, f.File))
            .Select(g => new PythonFunctionPart(g.Key.Function, g.Key.File, g.Sum(f => f.Self), g.Sum(f => f.Inclusive)))
            .OrderByDescending(f => f.Self).ThenByDescending(f => f.Inclusive).ThenBy(f => f.Function, StringComparer.Ordinal)
            .Take(TopFunctions).ToList();
        var python = new PythonPart(processes.Sum(p => p.Python?.Samples ?? 0), top);

        var all = new SyscallSummary();
        foreach (var p in processes)
            all.Add(p.Syscalls);
        var syscalls = all.Rows().ToDictionary(
            s => s.Name, s => new SyscallPart(s.Count, s.Errors, s.TotalNs, s.P50Ns, s.P99Ns), StringComparer.Ordinal);

        return new TraceSummary(
            o.Command.Count > 0 ? o.Command : [$"-p {o.Pid}"], exitCode, elapsed.TotalSeconds, pipeline.Records, drops,
            [.. processes.Select(p => new TracedProcessInfo(p.Pid, p.Comm, p.Argv, p.ExitCode, p.Signal))],
            cuda, python, syscalls, trace);
    }
}

/// <param name="RingBuffer">Records the kernel could not put in the ring buffer (it was full).</param>
/// <param name="EntryMap">Calls whose entry could not be kept (the map of calls in flight was full).</param>
/// <param name="CounterMap">Counts lost because the counter map was full.</param>
/// <param name="Send">Records the collector dropped because this CLI did not take them fast enough.</param>
/// <param name="Gaps">Records lost between the collector and this CLI.</param>
/// <param name="Rejected">Batches pushed to this CLI's port that were not its collector's (bad MAC or framing).</param>
internal sealed record TraceDrops(ulong RingBuffer, ulong EntryMap, ulong CounterMap, ulong Send, ulong Gaps, long Rejected)
{
    public ulong Total => RingBuffer + EntryMap + CounterMap + Send + Gaps;
}

internal sealed record TracedProcessInfo(uint Pid, string Comm, IReadOnlyList<string> Argv, int? ExitCode, int? Signal);

internal sealed record CudaPart(
    long Calls, IReadOnlyList<KernelPart> Kernels, IReadOnlyDictionary<string, MemcpyPart> Memcpy, long PeakBytes,
    IReadOnlyList<LeakPart> Leaks, IReadOnlyList<CudaErrorPart> Errors);

internal sealed record KernelPart(string Name, long Count, long Errors, long TotalCallNs);

/// <param name="SyncBandwidthBytesPerSecond">Of the synchronous copies; null when none was timed.</param>
internal sealed record MemcpyPart(long Count, long Bytes, long DurationNs, double? SyncBandwidthBytesPerSecond);

internal sealed record LeakPart(uint Pid, ulong Ptr, long Bytes, int Device, string Api, IReadOnlyList<string> Stack, IReadOnlyList<PythonFramePart> PythonStack);

internal sealed record PythonFramePart(string? Function, string? File, uint Line);

internal sealed record CudaErrorPart(string Api, int Code, long Count);

internal sealed record PythonPart(long Samples, IReadOnlyList<PythonFunctionPart> Top);

internal sealed record PythonFunctionPart(string Function, string? File, long Self, long Inclusive);

internal sealed record SyscallPart(ulong Count, ulong Errors, ulong TotalNs, ulong? P50Ns, ulong? P99Ns);
