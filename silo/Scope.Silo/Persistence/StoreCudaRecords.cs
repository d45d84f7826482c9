using System.Runtime.CompilerServices;
using Scope.Grains;
using Scope.Silo.Storage;

namespace Scope.Silo.Persistence;

/// <summary>The process grains' view of the CUDA records PostgreSQL kept.</summary>
internal sealed class StoreCudaRecords(ScopeReadStore store) : ICudaRecordStore
{
    public async IAsyncEnumerable<StoredRecord> ReadCudaRecords(string machineId, uint pid, ulong startNs, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var r in store.ReadCudaRecordsAsync(machineId, unchecked((int)pid), startNs, ct).ConfigureAwait(false))
            yield return new StoredRecord(r.CollectorId, r.Instance, r.EventIndex, r.UnixOffsetNs, r.Record);
    }
}
