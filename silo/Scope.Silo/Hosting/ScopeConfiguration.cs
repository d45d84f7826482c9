using Scope.Grains.Placement;

namespace Scope.Silo.Hosting;

/// <summary>
/// Settings come from one file (scope.json: --config PATH, else $SCOPE_CONFIG, else deploy/scope.json in
/// this checkout) and from environment overrides SCOPE__SECTION__KEY (docs/configuration.md).
/// </summary>
public static class ScopeConfiguration
{
    public static IHostApplicationBuilder AddScopeConfiguration(this IHostApplicationBuilder builder, string[] args)
    {
        var path = ConfigPath(args);
        if (path is not null)
            builder.Configuration.AddJsonFile(path, optional: false, reloadOnChange: false);
        // Environment last: it overrides the file. SCOPE__Storage__ConnectionString → Scope:Storage:ConnectionString.
        var flat = new Dictionary<string, string?>();
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var key = (string)e.Key;
            if (key.StartsWith("SCOPE__", StringComparison.Ordinal))
                flat["Scope:" + key["SCOPE__".Length..].Replace("__", ":", StringComparison.Ordinal)] = (string?)e.Value;
        }
        builder.Configuration.AddInMemoryCollection(flat);
        var role = RoleArgument(args);
        if (role is not null)
            builder.Configuration["Scope:Role"] = role;
        // Fail at start-up, naming the setting, rather than when the first grain is placed.
        builder.Configuration.GetScopeRole();
        return builder;
    }

    /// <summary>Scope:Role (set by --role, the file, or SCOPE__Role); <c>all</c> when unset or empty.</summary>
    /// <exception cref="ArgumentException">It is set to anything but core, edge or all.</exception>
    public static ScopeRole GetScopeRole(this IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config["Scope:Role"] is { Length: > 0 } role ? ScopeRoles.Parse(role, "Scope:Role") : ScopeRole.All;
    }

    private static string? ConfigPath(string[] args)
    {
        var i = Array.IndexOf(args, "--config");
        if (i >= 0 && i + 1 < args.Length)
            return Path.GetFullPath(args[i + 1]);
        if (Environment.GetEnvironmentVariable("SCOPE_CONFIG") is { Length: > 0 } env)
            return Path.GetFullPath(env);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "deploy", "scope.json");
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    private static string? RoleArgument(string[] args)
    {
        var i = Array.IndexOf(args, "--role");
        if (i < 0)
            return null;
        var role = i + 1 < args.Length ? args[i + 1] : "";
        // Checked here too, so the message names the argument the operator typed.
        ScopeRoles.Parse(role, "--role");
        return role;
    }
}
