using System.Runtime.CompilerServices;
using Scope.Grains;
using Scope.Silo.Storage;

namespace Scope.Silo.Persistence;

/// <summary>The process grains' view of the records PostgreSQL kept for their CUDA ledgers and Python profiles.</summary>
internal sealed class StoreProcessRecords(ScopeReadStore store) : IProcessRecordStore
{
    public async IAsyncEnumerable<StoredRecord> ReadRecords(string machineId, uint pid, ulong startNs, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var r in store.ReadGrainRecordsAsync(machineId, unchecked((int)pid), startNs, ct).ConfigureAwait(false))
            yield return new StoredRecord(r.CollectorId, r.Instance, r.EventIndex, r.UnixOffsetNs, r.Record);
    }
}
