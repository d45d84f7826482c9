namespace Scope.Events;

/// <summary>Limits and thresholds of a <see cref="CudaLedger"/>.</summary>
public sealed class CudaLedgerOptions
{
    /// <summary>A live allocation older than this is a leak candidate while the process runs.</summary>
    public TimeSpan LeakAge { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Live allocations tracked at most (all kinds together). Beyond it new allocations are only counted
    /// in <see cref="CudaSummary.Untracked"/>, so a process that leaks without end cannot exhaust the
    /// reader's memory; their frees then count as unknown.
    /// </summary>
    public int MaxLiveAllocations { get; init; } = 1_000_000;
}
