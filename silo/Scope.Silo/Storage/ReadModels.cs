namespace Scope.Silo.Storage;

/// <summary>What storage has accounted for a collector run (see <see cref="PersistenceWriter.GetWatermarkAsync"/>).</summary>
/// <param name="NextEvent">Index of the first event not accounted for: persisted, reported lost or dropped.</param>
/// <param name="SendDrops">The run's cumulative send drops, as last reported.</param>
/// <param name="LastSequence">The highest batch sequence accounted for.</param>
public sealed record CollectorWatermark(ulong NextEvent, ulong SendDrops, ulong LastSequence);

/// <summary>A machine and, per collector, its newest run with totals over all its runs.</summary>
public sealed record MachineSummary(
    string Id,
    string? Hostname,
    IReadOnlyDictionary<string, string> Versions,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    IReadOnlyList<CollectorSummary> Collectors);

/// <summary>
/// One collector of a machine. Instance, Version, TaskId, LastSeen, State and Final are the newest
/// run's; the counters are summed over all runs (drop counters are cumulative within a run, so each
/// run contributes its latest value).
/// </summary>
public sealed record CollectorSummary(
    string CollectorId,
    ulong Instance,
    string Version,
    string TaskId,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string State,
    bool Final,
    int Instances,
    long PersistedEvents,
    long GapEvents,
    long PersistDrops,
    long SendDrops,
    long KernelDrops,
    IReadOnlyList<long> KernelDropsByReason);

/// <summary>Filters for <see cref="ScopeReadStore.ListProcessesAsync"/>; From/To select processes alive at some point in the range.</summary>
public sealed record ProcessQuery(
    string? MachineId = null,
    int? Pid = null,
    string? Comm = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    int Limit = 100);

public sealed record ProcessInfo(
    string MachineId,
    int Pid,
    ulong StartNs,
    string Comm,
    int? Ppid,
    long? Uid,
    ulong? CgroupId,
    string? Filename,
    IReadOnlyList<string>? Argv,
    DateTimeOffset? StartTime,
    DateTimeOffset? ExitTime,
    int? ExitCode,
    int? Signal,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen);

/// <summary>Cumulative totals of one syscall in one process; Hist holds the 96 latency buckets when known.</summary>
public sealed record SyscallStat(
    int Nr,
    long Count,
    long Errors,
    long TotalNs,
    IReadOnlyList<uint>? Hist,
    bool Final,
    DateTimeOffset UpdatedAt);

/// <summary>
/// Filters for <see cref="ScopeReadStore.ListEventsAsync"/>. Cursor is the NextCursor of the previous
/// page; From is inclusive, To exclusive.
/// </summary>
public sealed record EventQuery(
    string? MachineId = null,
    int? Pid = null,
    ulong? StartNs = null,
    int? Type = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    string? Cursor = null,
    int Limit = 100);

/// <summary>One stored event; Record holds its raw bytes as the collector sent them.</summary>
public sealed record EventRow(
    DateTimeOffset Time,
    ulong TsNs,
    string MachineId,
    string CollectorId,
    ulong Instance,
    ulong EventIndex,
    int Pid,
    int Tid,
    ulong StartNs,
    string Comm,
    int Type,
    int? Nr,
    long? Ret,
    ulong? DurNs,
    ReadOnlyMemory<byte> Record);

/// <summary>A page of events in (time, instance, event_index) order; NextCursor is null on the last page.</summary>
public sealed record EventPage(IReadOnlyList<EventRow> Rows, string? NextCursor);

/// <summary>One stored record of a process, with where it came from (its collector run and index in it).</summary>
/// <param name="Time">Its wall-clock time as stored (to the microsecond).</param>
public sealed record StoredProcessRecord(
    string CollectorId,
    ulong Instance,
    ulong EventIndex,
    ulong TsNs,
    DateTimeOffset Time,
    ReadOnlyMemory<byte> Record)
{
    /// <summary>Unix ns minus boot-time ns for this record, as far as the stored time tells it (to the microsecond).</summary>
    public long UnixOffsetNs => ((Time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * TimeSpan.NanosecondsPerTick) - unchecked((long)TsNs);
}
