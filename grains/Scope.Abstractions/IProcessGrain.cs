namespace Scope.Abstractions;

/// <summary>
/// One traced process (key: <see cref="ProcessKey"/>). Its machine's grain sends it what one batch
/// said about it, once per batch, never once per event. It keeps the process's syscall totals, its
/// CUDA ledger and its Python profile.
/// </summary>
public interface IProcessGrain : IGrainWithStringKey
{
    Task Apply(ProcessDelta delta);
    Task<ProcessSnapshot> GetSnapshot();

    /// <summary>The process's CUDA ledger as of now; null when this process has no CUDA records.</summary>
    Task<CudaSnapshot?> GetCudaSummary();

    /// <summary>Up to <paramref name="limit"/> live allocations, oldest first; null when this process has no CUDA records.</summary>
    Task<IReadOnlyList<CudaAllocationInfo>?> GetCudaAllocations(int limit);

    /// <summary>Up to <paramref name="limit"/> kernels, most launched first; null when this process has no CUDA records.</summary>
    Task<IReadOnlyList<CudaKernelInfo>?> GetCudaKernels(int limit);

    /// <summary>
    /// Allocations alive at exit or, while the process runs, older than <paramref name="olderThan"/>
    /// (null: the configured age), largest first; null when this process has no CUDA records.
    /// </summary>
    Task<IReadOnlyList<CudaLeakInfo>?> GetCudaLeaks(TimeSpan? olderThan);

    /// <summary>
    /// The process's Python profile from all its samples so far: up to <paramref name="top"/> functions
    /// with up to <paramref name="lines"/> lines each; null when this process has no Python records.
    /// </summary>
    Task<PythonProfileInfo?> GetPythonProfile(int top, int lines);

    /// <summary>Up to <paramref name="limit"/> functions' exact calls, the most total time first; null when this process has no Python records.</summary>
    Task<IReadOnlyList<PythonCallInfo>?> GetPythonCalls(int limit);
}

/// <summary>A process is named by its machine, pid and start time (boot-time ns): pids are reused.</summary>
public static class ProcessKey
{
    public static string Format(string machineId, uint pid, ulong startNs) => $"{machineId}.{pid}.{startNs}";

    public static bool TryParse(string key, out string machineId, out uint pid, out ulong startNs)
    {
        machineId = "";
        pid = 0;
        startNs = 0;
        var parts = key.Split('.');
        if (parts.Length < 3)
            return false;
        machineId = string.Join('.', parts[..^2]);
        return machineId.Length > 0
            && uint.TryParse(parts[^2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pid)
            && ulong.TryParse(parts[^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out startNs);
    }
}

[GenerateSerializer, Immutable]
public sealed record ProcessDelta
{
    [Id(0)] public string? Comm { get; init; }
    [Id(1)] public ProcessExecInfo? Exec { get; init; }
    [Id(2)] public ProcessExitInfo? Exit { get; init; }
    [Id(3)] public long LastSeenUnixNs { get; init; }
    /// <summary>Cumulative totals by syscall number, as the kernel last reported them.</summary>
    [Id(4)] public IReadOnlyList<SyscallTotals> Totals { get; init; } = [];
    [Id(5)] public int Forks { get; init; }
    [Id(6)] public int SyscallRecords { get; init; }

    /// <summary>
    /// The process's records of types 8-14 (CUDA calls, registrations, stacks, symbols; Python samples,
    /// code names and exact calls) and 3 (its exit) from this batch, raw and in batch order: what its
    /// CUDA ledger and Python profile are made of. Empty when the batch has none of them for it.
    /// </summary>
    [Id(7)] public ReadOnlyMemory<byte> Records { get; init; }
    /// <summary>Unix ns minus boot-time ns for this batch's records (realtime_ns − boottime_ns).</summary>
    [Id(8)] public long UnixOffsetNs { get; init; }
    /// <summary>The collector run the batch came from, and the range of its records' indexes, [FirstEvent, EndEvent).</summary>
    [Id(9)] public string CollectorId { get; init; } = "";
    [Id(10)] public ulong Instance { get; init; }
    [Id(11)] public ulong FirstEvent { get; init; }
    [Id(12)] public ulong EndEvent { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record ProcessExecInfo(
    [property: Id(0)] string Filename,
    [property: Id(1)] IReadOnlyList<string> Argv,
    [property: Id(2)] uint Ppid,
    [property: Id(3)] uint Uid,
    [property: Id(4)] long UnixNs);

[GenerateSerializer, Immutable]
public sealed record ProcessExitInfo(
    [property: Id(0)] int ExitCode,
    [property: Id(1)] int Signal,
    [property: Id(2)] long UnixNs);

/// <summary>Cumulative: a newer report replaces an older one. <see cref="Histogram"/> may be empty.</summary>
[GenerateSerializer, Immutable]
public sealed record SyscallTotals(
    [property: Id(0)] uint Nr,
    [property: Id(1)] ulong Count,
    [property: Id(2)] ulong Errors,
    [property: Id(3)] ulong TotalNs,
    [property: Id(4)] uint[]? Histogram,
    [property: Id(5)] bool Final);

[GenerateSerializer, Immutable]
public sealed record ProcessSnapshot(
    [property: Id(0)] string Id,
    [property: Id(1)] string? Comm,
    [property: Id(2)] ProcessExecInfo? Exec,
    [property: Id(3)] ProcessExitInfo? Exit,
    [property: Id(4)] IReadOnlyList<SyscallTotals> Syscalls,
    [property: Id(5)] long LastSeenUnixNs);
