using Orleans.Runtime.Placement;

namespace Scope.Grains.Placement;

/// <summary>
/// The default placement of every grain without its own (SCOPE's cluster-wide grains, the stream
/// subscribers, and Orleans' pub/sub and stream queue grains): a core or all-in-one silo, never an edge.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class ClusterWidePlacement : PlacementStrategy;

/// <summary>
/// Picks at random among the compatible silos that host cluster-wide grains (honouring Orleans'
/// placement hint when it names one of them); a silo whose role is not known yet is not one of them.
/// </summary>
public sealed class ClusterWidePlacementDirector(SiloIdentities silos) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var compatible = context.GetCompatibleSilos(target);
        var eligible = compatible.Where(s => silos.Of(s)?.Role.HostsClusterWide() == true).ToArray();
        if (eligible.Length == 0)
            return Task.FromException<SiloAddress>(new NoCoreSiloException(
                $"No core or all-in-one silo can host {target.GrainIdentity}: edge silos host only their machines' grains. " +
                $"Silos: {silos.Describe(compatible)}"));
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, eligible) is { } hint)
            return Task.FromResult(hint);
#pragma warning disable CA5394 // Spreading load, not security: predictability does no harm.
        return Task.FromResult(eligible[Random.Shared.Next(eligible.Length)]);
#pragma warning restore CA5394
    }
}
