namespace Scope.Grains;

/// <summary>
/// What the cluster has kept of each collector instance. A machine grain that (re)activates asks it
/// where the collector's records stand, so that records lost in flight (say, in a silo that was
/// killed) are counted as a gap rather than vanishing. Implemented over the store by the silo.
/// </summary>
public interface ICollectorLedger
{
    /// <summary>Null when nothing of this instance was kept.</summary>
    Task<CollectorWatermark?> GetWatermark(string machineId, string collectorId, ulong instance, CancellationToken ct);

    Task MarkCollector(string machineId, string collectorId, ulong instance, string state, CancellationToken ct);
}

/// <param name="NextEvent">The first record not accounted for: every record before it was persisted, counted as a gap or counted as dropped.</param>
/// <param name="SendDrops">The collector's cumulative send drops as last recorded.</param>
public sealed record CollectorWatermark(ulong NextEvent, ulong SendDrops);
