namespace Scope.Grains;

/// <summary>
/// The records storage already holds for one process that its grain keeps state from (its CUDA ledger
/// and its Python profile). A process grain that activates for a process seen before (after a silo
/// restart, or after it was deactivated when idle) rebuilds that state from them before it applies
/// anything new. Implemented over the store by the silo.
/// </summary>
public interface IProcessRecordStore
{
    /// <summary>
    /// The process's stored records of types 3 and 8-14, each collector run's in the order it produced
    /// them, runs in the order they started.
    /// </summary>
    IAsyncEnumerable<StoredRecord> ReadRecords(string machineId, uint pid, ulong startNs, CancellationToken ct);
}

/// <summary>One stored record and where it came from.</summary>
/// <param name="EventIndex">Its index among the records its collector run produced.</param>
/// <param name="UnixOffsetNs">Unix ns minus the record's boot-time ns, as the store can tell it (to the microsecond).</param>
/// <param name="Record">The record's bytes as the collector sent them.</param>
public readonly record struct StoredRecord(string CollectorId, ulong Instance, ulong EventIndex, long UnixOffsetNs, ReadOnlyMemory<byte> Record);
