using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Scope.Grains.Placement;

public static class PlacementHosting
{
    /// <summary>
    /// Publishes the silo's role and machines as silo metadata, and installs SCOPE's placement: pinned
    /// grains on their machine's silo, every other grain (Orleans' own included) on core or all-in-one
    /// silos. Every silo of a SCOPE cluster must call it with its identity.
    /// </summary>
    public static ISiloBuilder AddScopePlacement(this ISiloBuilder silo, ScopeSiloIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(identity);
        silo.UseSiloMetadata(identity.ToMetadata());
        silo.Services.AddSingleton(identity);
        silo.Services.AddSingleton(sp => new SiloIdentities(
            identity, sp.GetRequiredService<ILocalSiloDetails>(), sp.GetRequiredService<ISiloMetadataCache>()));
        silo.AddPlacementDirector<MachinePinnedPlacement, MachinePinnedPlacementDirector>();
        silo.AddPlacementDirector<ClusterWidePlacement, ClusterWidePlacementDirector>();
        // Orleans resolves the default strategy as the last PlacementStrategy registered, for every
        // grain type without a placement attribute: system grains (pub/sub, stream queues) too.
        silo.Services.AddSingleton<PlacementStrategy, ClusterWidePlacement>();
        return silo;
    }
}
