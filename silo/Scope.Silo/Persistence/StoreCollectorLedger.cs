using Scope.Grains;
using Scope.Silo.Storage;

namespace Scope.Silo.Persistence;

/// <summary>The machine grains' view of what PostgreSQL kept of each collector.</summary>
internal sealed class StoreCollectorLedger(PersistenceWriter writer) : ICollectorLedger
{
    public async Task<Scope.Grains.CollectorWatermark?> GetWatermark(string machineId, string collectorId, ulong instance, CancellationToken ct)
    {
        var mark = await writer.GetWatermarkAsync(machineId, collectorId, instance, ct);
        return mark is null ? null : new Scope.Grains.CollectorWatermark(mark.NextEvent, mark.SendDrops);
    }

    public Task MarkCollector(string machineId, string collectorId, ulong instance, string state, CancellationToken ct) =>
        writer.MarkCollectorAsync(machineId, collectorId, instance, state, ct);
}
