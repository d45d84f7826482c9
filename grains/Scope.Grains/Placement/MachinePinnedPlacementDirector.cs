using Orleans.Metadata;
using Orleans.Runtime.Placement;

namespace Scope.Grains.Placement;

/// <summary>
/// Places a <see cref="MachinePinnedAttribute"/> grain on the one silo that hosts the machine its key
/// names (an edge, or an all-in-one silo). When there is none, placement fails with
/// <see cref="MachinePlacementException"/>: it never falls back to another silo, which would give the
/// machine a second, diverging copy of its state when its edge returns.
/// </summary>
public sealed class MachinePinnedPlacementDirector(SiloIdentities silos, GrainPropertiesResolver grainProperties) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var grain = target.GrainIdentity;
        grainProperties.TryGetGrainProperties(grain.Type, out var properties);
        if (MachinePinnedPlacement.KeyKindOf(properties) is not { } kind)
            return Task.FromException<SiloAddress>(new MachinePlacementException(
                $"{grain}: grain type {grain.Type} is machine-pinned but declares no '{MachinePinnedPlacement.KeyProperty}' property"));
        var key = grain.Key.ToString();
        if (MachinePinnedPlacement.MachineOf(kind, key) is not { } machine)
            return Task.FromException<SiloAddress>(new MachinePlacementException(
                $"{grain}: the key '{key}' does not name a machine (expected a {kind})"));

        var compatible = context.GetCompatibleSilos(target);
        var hosts = compatible.Where(s => silos.Of(s)?.HostsMachine(machine) == true).ToList();
        return hosts.Count switch
        {
            1 => Task.FromResult(hosts[0]),
            0 => Task.FromException<SiloAddress>(new MachinePlacementException(
                $"No silo hosts machine '{machine}', so {grain} cannot be activated: that machine's edge silo is not in the " +
                $"cluster, or its metadata has not reached {context.LocalSilo} yet. Silos: {silos.Describe(compatible)}")),
            // Two silos claiming one machine (a cloned /etc/machine-id, or one external collector
            // configured on two silos) would each grow half of the machine's state: refuse both.
            _ => Task.FromException<SiloAddress>(new MachinePlacementException(
                $"Machine '{machine}' is claimed by {hosts.Count} silos, so {grain} is not placed: {silos.Describe(hosts)}")),
        };
    }
}
