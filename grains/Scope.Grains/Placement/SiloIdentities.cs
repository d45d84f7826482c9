using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Scope.Grains.Placement;

/// <summary>The SCOPE identity of any silo in the cluster, as the placement directors see it.</summary>
public sealed class SiloIdentities
{
    private readonly Func<SiloAddress> _localSilo;
    private readonly Func<SiloAddress, IReadOnlyDictionary<string, string>> _metadataOf;

    public SiloIdentities(ScopeSiloIdentity local, ILocalSiloDetails localSilo, ISiloMetadataCache cache)
        : this(local, () => localSilo.SiloAddress, s => cache.GetSiloMetadata(s).Metadata)
    {
        ArgumentNullException.ThrowIfNull(localSilo);
        ArgumentNullException.ThrowIfNull(cache);
    }

    /// <summary>With any source of other silos' metadata (tests: Orleans' SiloMetadata cannot be built with entries).</summary>
    public SiloIdentities(ScopeSiloIdentity local, Func<SiloAddress> localSilo, Func<SiloAddress, IReadOnlyDictionary<string, string>> metadataOf)
    {
        Local = local ?? throw new ArgumentNullException(nameof(local));
        _localSilo = localSilo ?? throw new ArgumentNullException(nameof(localSilo));
        _metadataOf = metadataOf ?? throw new ArgumentNullException(nameof(metadataOf));
    }

    public ScopeSiloIdentity Local { get; }

    /// <summary>
    /// This silo's identity from its own configuration (the metadata cache may not hold it yet at
    /// start-up); another's from the metadata it published, or null while that has not arrived.
    /// </summary>
    public ScopeSiloIdentity? Of(SiloAddress silo) =>
        silo.Equals(_localSilo()) ? Local : ScopeSiloIdentity.FromMetadata(_metadataOf(silo));

    /// <summary>For error messages: every silo considered and what it is.</summary>
    public string Describe(IEnumerable<SiloAddress> silos)
    {
        var parts = silos.Select(s => $"{s} = {Of(s)?.ToString() ?? "no SCOPE role known (yet)"}").ToList();
        return parts.Count == 0 ? "none" : string.Join("; ", parts);
    }
}
