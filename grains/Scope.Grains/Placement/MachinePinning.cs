namespace Scope.Grains.Placement;

/// <summary>The check every machine-pinned grain makes when it activates.</summary>
public static class MachinePinning
{
    /// <summary>
    /// Throws unless this silo hosts the machine the grain's key names. Placement normally guarantees
    /// it, but a call routed by a stale location cache activates the grain wherever the message lands
    /// without asking the director (orleans issue 9685). Such an activation never runs a grain call
    /// here: it asks Orleans to migrate it first, so the calls waiting for it are forwarded to the
    /// silo the director picks (with a correction for their senders' caches), and then fails.
    /// </summary>
    public static void EnsureOnItsMachine(Grain grain)
    {
        ArgumentNullException.ThrowIfNull(grain);
        var kind = MachinePinnedPlacement.KeyKindOf(grain.GetType())
            ?? throw new InvalidOperationException($"{grain.GetType().Name} is not [MachinePinned]");
        var context = grain.GrainContext;
        var services = context.ActivationServices;
        var local = services.GetService(typeof(ScopeSiloIdentity)) as ScopeSiloIdentity;
        var silo = (services.GetService(typeof(ILocalSiloDetails)) as ILocalSiloDetails)?.SiloAddress;
        var key = grain.GetPrimaryKeyString();
        var description = $"{context.GrainId} on {silo}";
        if (local is not null && MachinePinnedPlacement.MachineOf(kind, key) is { } machine && !local.HostsMachine(machine))
        {
            // Migration places with the director (no request context: whatever steered the call here
            // must not steer it again), and Orleans keeps the first deactivation reason, so the failure
            // below does not turn the forwarding into a rejection. Without a silo for the machine, the
            // calls are placed again and fail there with the director's MachinePlacementException.
            context.Migrate(requestContext: null);
        }
        Check(local, kind, key, description);
    }

    /// <summary>The rule itself: <paramref name="local"/> (null: a silo with no SCOPE role) must host the key's machine.</summary>
    public static void Check(ScopeSiloIdentity? local, MachineKey kind, string key, string grainDescription)
    {
        ArgumentNullException.ThrowIfNull(key);
        var machine = MachinePinnedPlacement.MachineOf(kind, key)
            ?? throw new MachinePlacementException($"{grainDescription}: the key '{key}' does not name a machine (expected a {kind})");
        if (local is null)
            throw new MachinePlacementException(
                $"{grainDescription} is pinned to machine '{machine}', but this silo has no SCOPE role (AddScopePlacement was not called)");
        if (!local.HostsMachine(machine))
            throw new MachinePlacementException(
                $"{grainDescription} is pinned to machine '{machine}', but this silo is {local}: refusing to activate here " +
                "(a stale grain location sent the call to the wrong silo)");
    }
}
