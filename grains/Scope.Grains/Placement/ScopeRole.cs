namespace Scope.Grains.Placement;

/// <summary>
/// What a silo is for (docs/fleet.md). An edge runs on a monitored host and hosts that host's grains;
/// a core hosts everything cluster-wide; <see cref="All"/> is both in one process (<c>make run</c>).
/// </summary>
public enum ScopeRole
{
    All,
    Core,
    Edge,
}

public static class ScopeRoles
{
    /// <summary>The role as configured: <c>core</c>, <c>edge</c> or <c>all</c> (exactly, lower case).</summary>
    /// <exception cref="ArgumentException">Anything else, naming what was given and where it came from.</exception>
    public static ScopeRole Parse(string? value, string source = "Scope:Role") => value switch
    {
        "all" => ScopeRole.All,
        "core" => ScopeRole.Core,
        "edge" => ScopeRole.Edge,
        // Case and spelling are not guessed: a typo must not start a silo with the wrong duties.
        _ => throw new ArgumentException($"{source} must be 'core', 'edge' or 'all' (got '{value}')", nameof(value)),
    };

    public static string Name(this ScopeRole role) => role switch
    {
        ScopeRole.All => "all",
        ScopeRole.Core => "core",
        ScopeRole.Edge => "edge",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>Ingest, the supervised collectors and the machine-pinned grains of its own machine.</summary>
    public static bool HostsMachines(this ScopeRole role) => role is ScopeRole.Edge or ScopeRole.All;

    /// <summary>Cluster-wide grains, the REST API, persistence and the trace subscribers.</summary>
    public static bool HostsClusterWide(this ScopeRole role) => role is ScopeRole.Core or ScopeRole.All;
}
