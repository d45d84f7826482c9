using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Scope.Silo.Hosting;

/// <summary>
/// The reverse proxies (<c>Scope:Proxy</c>) whose X-Forwarded-For and X-Forwarded-Proto the silo
/// believes: behind nginx, the client's address is what the login rate limit and the audit log count,
/// and https is what makes the console's cookie Secure. Nothing is trusted unless configured: a
/// client that reaches the silo directly must not choose its own address (docs/deployment.md).
/// </summary>
internal sealed class TrustedProxies
{
    public const string SectionName = "Scope:Proxy";
    public const string NetworksKey = SectionName + ":KnownNetworks";
    public const string ProxiesKey = SectionName + ":KnownProxies";

    private TrustedProxies(IReadOnlyList<IPNetwork> networks, IReadOnlyList<IPAddress> proxies)
    {
        Networks = networks;
        Proxies = proxies;
    }

    public IReadOnlyList<IPNetwork> Networks { get; }

    public IReadOnlyList<IPAddress> Proxies { get; }

    public bool IsEmpty => Networks.Count == 0 && Proxies.Count == 0;

    /// <summary>Both keys take a comma-separated string (one environment variable replaces the list) or a JSON array.</summary>
    /// <exception cref="ArgumentException">An entry is not a network or an address; the message names the key and the entry.</exception>
    public static TrustedProxies FromConfiguration(IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var networks = new List<IPNetwork>();
        foreach (var entry in List(config.GetSection(NetworksKey)))
            networks.Add(ParseNetwork(entry));
        var proxies = new List<IPAddress>();
        foreach (var entry in List(config.GetSection(ProxiesKey)))
        {
            proxies.Add(ParseAddress(entry)
                ?? throw new ArgumentException($"{ProxiesKey}: '{entry}' is not an IP address (for example 10.0.0.5 or fd00::5; a network goes in {NetworksKey})"));
        }
        return new TrustedProxies(networks, proxies);
    }

    public override string ToString() =>
        string.Join(", ", Networks.Select(n => n.ToString()).Concat(Proxies.Select(p => p.ToString())));

    private static IEnumerable<string> List(IConfigurationSection section)
    {
        var items = section.Value is { } text ? text.Split(',') : section.GetChildren().Select(c => c.Value ?? "");
        return items.Select(i => i.Trim()).Where(i => i.Length > 0);
    }

    /// <summary>
    /// Stricter than <see cref="IPNetwork.TryParse(string, out IPNetwork)"/>, which takes "10.0.0/24"
    /// and quietly masks "10.0.0.1/24": an entry that is not exactly a network is more likely a
    /// mistake than a wish, and this list decides whom the silo believes.
    /// </summary>
    private static IPNetwork ParseNetwork(string entry)
    {
        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        var address = slash > 0 ? ParseAddress(entry[..slash]) : null;
        if (address is null || !int.TryParse(entry.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix))
            throw new ArgumentException($"{NetworksKey}: '{entry}' is not a network in CIDR notation (ADDRESS/PREFIX, for example 10.0.0.0/24 or fd00::/64; a single address goes in {ProxiesKey})");
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (prefix > bits)
            throw new ArgumentException($"{NetworksKey}: '{entry}': the prefix length must be 0 to {bits}");
        var network = new IPNetwork(MaskTo(address, prefix), prefix);
        if (!network.BaseAddress.Equals(address))
            throw new ArgumentException($"{NetworksKey}: '{entry}' has address bits set past the /{prefix} prefix: did you mean {network}?");
        return network;
    }

    /// <summary>Dotted quads only for IPv4 ("10.1" and "0x0a000001" are addresses to .NET, typos here), no zone index for IPv6.</summary>
    private static IPAddress? ParseAddress(string text)
    {
        if (!IPAddress.TryParse(text, out var address))
            return null;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
            return text.Contains('%', StringComparison.Ordinal) ? null : address;
        var octets = text.Split('.');
        return octets.Length == 4 && octets.All(o => o.Length is > 0 and <= 3 && o.All(char.IsAsciiDigit) && (o == "0" || o[0] != '0'))
            ? address
            : null;
    }

    private static IPAddress MaskTo(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (int i = 0; i < bytes.Length; i++)
        {
            int keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPAddress(bytes);
    }
}

public static partial class ProxyHosting
{
    /// <summary>Reads and checks <c>Scope:Proxy</c>; a bad entry stops start-up naming the key.</summary>
    public static IHostApplicationBuilder AddScopeProxy(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var trusted = TrustedProxies.FromConfiguration(builder.Configuration);
        builder.Services.AddSingleton(trusted);
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The defaults trust loopback; here only what the configuration names is trusted.
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
            foreach (var n in trusted.Networks)
                o.KnownIPNetworks.Add(n);
            foreach (var p in trusted.Proxies)
                o.KnownProxies.Add(p);
            // nginx replaces X-Forwarded-For with the address it saw (deploy/nginx/scope.conf), so
            // only the last entry is ever the proxy's to vouch for.
            o.ForwardLimit = 1;
        });
        return builder;
    }

    /// <summary>First in the pipeline, so that everything after it sees the client's address and scheme.</summary>
    public static WebApplication UseScopeProxy(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var trusted = app.Services.GetRequiredService<TrustedProxies>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ProxyHosting));
        if (trusted.IsEmpty)
        {
            LogNoProxy(logger);
            return app;
        }
        app.UseForwardedHeaders();
        var names = trusted.ToString();
        LogTrusted(logger, names);
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "X-Forwarded-For and X-Forwarded-Proto are believed from {Proxies} only (Scope:Proxy)")]
    private static partial void LogTrusted(ILogger logger, string proxies);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No Scope:Proxy configured: X-Forwarded-* headers are ignored, the client is the TCP peer")]
    private static partial void LogNoProxy(ILogger logger);
}
