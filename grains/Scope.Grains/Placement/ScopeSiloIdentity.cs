using System.Collections.Immutable;

namespace Scope.Grains.Placement;

/// <summary>
/// A silo's role and the machines whose pinned grains it hosts, as the silo publishes them in its
/// Orleans silo metadata (<see cref="ToMetadata"/>) and as every other silo reads them back
/// (<see cref="FromMetadata"/>) to place grains.
/// </summary>
public sealed class ScopeSiloIdentity
{
    /// <summary>Metadata key of the role: <c>core</c>, <c>edge</c> or <c>all</c>.</summary>
    public const string RoleKey = "scope.role";

    /// <summary>Metadata key of this host's machine id (edge and all only): the HMAC, never the raw id.</summary>
    public const string MachineKey = "scope.machine";

    /// <summary>
    /// Metadata key of the other machines whose collectors push to this silo's ingest
    /// (Scope:Ingest:Collectors), comma-separated: their batches arrive here, so their grains live here.
    /// </summary>
    public const string ExternalMachinesKey = "scope.external-machines";

    public ScopeSiloIdentity(ScopeRole role, string? machineId, IEnumerable<string>? externalMachines = null)
    {
        var external = (externalMachines ?? []).Where(m => m != machineId).Distinct(StringComparer.Ordinal).ToImmutableArray();
        if (role.HostsMachines())
        {
            if (string.IsNullOrEmpty(machineId))
                throw new ArgumentException($"a silo with role '{role.Name()}' hosts its machine's grains and needs a machine id", nameof(machineId));
            CheckId(machineId);
            foreach (var m in external)
                CheckId(m);
        }
        else if (machineId is not null || external.Length > 0)
        {
            // A core hosts no machine's grains; a machine id here would suggest otherwise to the director.
            throw new ArgumentException("a core silo hosts no machine's grains and carries no machine id", nameof(machineId));
        }
        Role = role;
        MachineId = machineId;
        ExternalMachines = external;
    }

    public ScopeRole Role { get; }

    /// <summary>This host's machine id; null on a core silo.</summary>
    public string? MachineId { get; }

    public IReadOnlyList<string> ExternalMachines { get; }

    /// <summary>Whether grains pinned to <paramref name="machineId"/> belong on this silo.</summary>
    public bool HostsMachine(string machineId) =>
        Role.HostsMachines() && (string.Equals(machineId, MachineId, StringComparison.Ordinal) || ExternalMachines.Contains(machineId));

    public Dictionary<string, string> ToMetadata()
    {
        var m = new Dictionary<string, string>(StringComparer.Ordinal) { [RoleKey] = Role.Name() };
        if (MachineId is not null)
            m[MachineKey] = MachineId;
        if (ExternalMachines.Count > 0)
            m[ExternalMachinesKey] = string.Join(',', ExternalMachines);
        return m;
    }

    /// <summary>
    /// What another silo published; null when it published no SCOPE role (not started by SCOPE, or its
    /// metadata has not reached this silo yet) or something this version cannot read. Such a silo
    /// hosts nothing: guessing would place grains where they do not belong.
    /// </summary>
    public static ScopeSiloIdentity? FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(RoleKey, out var roleName))
            return null;
        try
        {
            var role = ScopeRoles.Parse(roleName, RoleKey);
            metadata.TryGetValue(MachineKey, out var machine);
            var external = metadata.TryGetValue(ExternalMachinesKey, out var list) && list.Length > 0 ? list.Split(',') : [];
            return new ScopeSiloIdentity(role, machine, external);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>
    /// The silo's name in the membership table: <c>edge.MACHINE</c> (<c>all.MACHINE</c>) or
    /// <c>core.HOST</c>. A core reads which machine a dead silo served from it, since a dead silo's
    /// metadata is gone from the cache with it.
    /// </summary>
    public string SiloName(string hostname) => $"{Role.Name()}.{MachineId ?? hostname}";

    /// <summary>The machine a silo served, from its <see cref="SiloName"/>; null for a core or a foreign name.</summary>
    public static string? MachineOfSiloName(string? siloName)
    {
        if (siloName is null)
            return null;
        var dot = siloName.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == siloName.Length - 1)
            return null;
        try
        {
            return ScopeRoles.Parse(siloName[..dot], "silo name").HostsMachines() ? siloName[(dot + 1)..] : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public override string ToString() => MachineId is null
        ? Role.Name()
        : ExternalMachines.Count == 0
            ? $"{Role.Name()} (machine {MachineId})"
            : $"{Role.Name()} (machine {MachineId}; also {string.Join(", ", ExternalMachines)})";

    private static void CheckId(string id)
    {
        // The metadata list is comma-separated; anything else a key can hold is the collector's business.
        if (id.Length == 0 || id.Any(c => c == ',' || char.IsWhiteSpace(c)))
            throw new ArgumentException($"machine id '{id}' must be non-empty, without commas or white space", nameof(id));
    }
}
