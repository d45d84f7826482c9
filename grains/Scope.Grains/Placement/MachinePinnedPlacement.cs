using System.Reflection;
using Orleans.Metadata;
using Orleans.Placement;
using Scope.Abstractions;

namespace Scope.Grains.Placement;

/// <summary>How a pinned grain's string key names its machine.</summary>
public enum MachineKey
{
    /// <summary>The key is the machine id (<see cref="IMachineGrain"/>).</summary>
    MachineId,

    /// <summary>The key is a <see cref="ProcessKey"/>, MACHINE.PID.START_NS (<see cref="IProcessGrain"/>).</summary>
    ProcessKey,
}

/// <summary>
/// Activations live on the silo of the machine named by the grain's key (docs/fleet.md), found by
/// <see cref="MachinePinnedPlacementDirector"/>. Per grain type, how the key names the machine is a
/// grain property written by <see cref="MachinePinnedAttribute"/>.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class MachinePinnedPlacement : PlacementStrategy
{
    /// <summary>The grain property that holds the <see cref="MachineKey"/> of a pinned grain type.</summary>
    public const string KeyProperty = "scope.machine-key";

    internal static MachinePinnedPlacement Instance { get; } = new();

    /// <summary>The machine a pinned grain's key names, or null when the key is not of its kind.</summary>
    public static string? MachineOf(MachineKey kind, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return kind switch
        {
            MachineKey.MachineId => key.Length > 0 ? key : null,
            MachineKey.ProcessKey => Scope.Abstractions.ProcessKey.TryParse(key, out var machine, out _, out _) ? machine : null,
            _ => null,
        };
    }

    /// <summary>The <see cref="MachineKey"/> a grain type declared, from its properties in the cluster manifest.</summary>
    public static MachineKey? KeyKindOf(GrainProperties? properties) =>
        properties is not null
        && properties.Properties.TryGetValue(KeyProperty, out var value)
        && Enum.TryParse<MachineKey>(value, ignoreCase: false, out var kind)
            ? kind
            : null;

    /// <summary>The <see cref="MachineKey"/> a grain class declared with <see cref="MachinePinnedAttribute"/>.</summary>
    public static MachineKey? KeyKindOf(Type grainClass) =>
        grainClass.GetCustomAttribute<MachinePinnedAttribute>(inherit: true)?.Key;
}

/// <summary>
/// Pins the grain's activations to the silo of the machine its key names; the grain must also call
/// <see cref="MachinePinning.EnsureOnItsMachine"/> in <c>OnActivateAsync</c>, and be [Immovable].
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class MachinePinnedAttribute(MachineKey key) : PlacementAttribute(MachinePinnedPlacement.Instance)
{
    public MachineKey Key { get; } = key;

    public override void Populate(IServiceProvider services, Type grainClass, GrainType grainType, Dictionary<string, string> properties)
    {
        base.Populate(services, grainClass, grainType, properties);
        // Travels in the cluster manifest, so the director on any silo (or one without this assembly
        // loaded yet) reads the key the same way.
        properties[MachinePinnedPlacement.KeyProperty] = Key.ToString();
    }
}
