using System.Globalization;

namespace Scope.Silo.Console;

/// <summary>
/// Links into Grafana when Scope:Console:GrafanaUrl names one: the dashboards in dashboards/ are
/// provisioned there (docs/grafana.md), and the console links to them rather than embedding them, so
/// Grafana keeps its own sign-in and no frame-ancestors exception is needed.
/// </summary>
internal sealed class GrafanaLinks
{
    public const string Setting = "Scope:Console:GrafanaUrl";

    /// <summary>The provisioned process dashboard's uid (dashboards/scope-process.json).</summary>
    public const string ProcessDashboard = "scope-process";

    private GrafanaLinks(Uri? root) => Root = root;

    /// <summary>Grafana's address, or null when none is configured (the console then shows no Grafana links).</summary>
    public Uri? Root { get; }

    public static GrafanaLinks From(IConfiguration configuration)
    {
        var text = configuration[Setting];
        if (string.IsNullOrWhiteSpace(text))
            return new GrafanaLinks(null);
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.Query))
            throw new InvalidOperationException($"{Setting}: '{text}' is not an http or https address without a query (e.g. https://grafana.example.com/)");
        return new GrafanaLinks(new Uri(uri.AbsoluteUri.TrimEnd('/') + "/"));
    }

    /// <summary>The process dashboard for one process, over its lifetime (to now while it runs), or null without Grafana.</summary>
    public string? Process(string machine, uint pid, ulong startNs, DateTimeOffset? started, DateTimeOffset? exited)
    {
        if (Root is null)
            return null;
        var q = string.Create(CultureInfo.InvariantCulture,
            $"var-machine={Uri.EscapeDataString(machine)}&var-pid={pid}&var-start_ns={unchecked((long)startNs)}");
        // A minute either side: the first and last samples of a short process are still in view.
        if (started is { } s)
            q += string.Create(CultureInfo.InvariantCulture, $"&from={s.AddMinutes(-1).ToUnixTimeMilliseconds()}");
        q += exited is { } e ? string.Create(CultureInfo.InvariantCulture, $"&to={e.AddMinutes(1).ToUnixTimeMilliseconds()}") : "&to=now";
        return new Uri(Root, $"d/{ProcessDashboard}/scope-process?{q}").AbsoluteUri;
    }
}
