namespace Scope.Timeline;

/// <summary>Bounds and granularity of a <see cref="TimelineBuilder"/>.</summary>
public sealed class TimelineOptions
{
    /// <summary>
    /// Events (slices, Python stacks, instants, counter values) a chunk buffers at most. At this many,
    /// <see cref="TimelineBuilder.ShouldFlush"/> turns true; events that arrive while it stays full are
    /// left out and counted in <see cref="TimelineBuilder.Dropped"/>. A buffered event takes about 200 bytes,
    /// so the default holds a chunk in about 40 MB.
    /// </summary>
    public int MaxBufferedEvents { get; init; } = 200_000;

    /// <summary>The width of a syscall-rate bucket, ns (100 ms).</summary>
    public ulong SyscallRateBucketNs { get; init; } = 100_000_000;

    /// <summary>Slices of each thread kept from earlier chunks to nest late slices against (see docs/timeline.md).</summary>
    public int HistoryPerThread { get; init; } = 64;

    /// <summary>Launches of one process waiting for a synchronize at most; launches beyond get no flow arrow.</summary>
    public int MaxPendingLaunches { get; init; } = 65_536;

    /// <summary>Threads (of all processes) tracked at most; events of further threads are dropped and counted.</summary>
    public int MaxThreads { get; init; } = 65_536;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedEvents, 1, nameof(MaxBufferedEvents));
        ArgumentOutOfRangeException.ThrowIfZero(SyscallRateBucketNs, nameof(SyscallRateBucketNs));
        ArgumentOutOfRangeException.ThrowIfNegative(HistoryPerThread, nameof(HistoryPerThread));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxPendingLaunches, nameof(MaxPendingLaunches));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxThreads, 1, nameof(MaxThreads));
    }
}
