using System.Net;

namespace Scope.Client;

/// <summary>How to reach the cluster.</summary>
public sealed class ScopeClientOptions
{
    /// <summary>The environment variable that names the gateways: <c>HOST:PORT[,HOST:PORT…]</c>.</summary>
    public const string GatewaysVariable = "SCOPE_GATEWAYS";

    /// <summary>Silo gateways to connect through (default: the all-in-one node's, 127.0.0.1:30000).</summary>
    public IReadOnlyList<IPEndPoint> Gateways { get; init; } = [new(IPAddress.Loopback, 30000)];

    /// <summary>The cluster's id (Scope:Orleans:ClusterId).</summary>
    public string ClusterId { get; init; } = "scope";

    /// <summary>The service id the silos use.</summary>
    public string ServiceId { get; init; } = "scope";

    /// <summary>The environment variable that names the cluster id (default <c>scope</c>).</summary>
    public const string ClusterIdVariable = "SCOPE_CLUSTER_ID";

    /// <summary>The environment variables of the client's mutual TLS: the cluster CA, this client's certificate and key (PEM).</summary>
    public const string TlsCaVariable = "SCOPE_TLS_CA", TlsCertVariable = "SCOPE_TLS_CERT", TlsKeyVariable = "SCOPE_TLS_KEY";

    /// <summary>The cluster CA (PEM); with <see cref="TlsCertFile"/> and <see cref="TlsKeyFile"/>, the client speaks mutual TLS.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>This client's certificate (PEM), signed by the cluster CA for serverAuth and clientAuth.</summary>
    public string? TlsCertFile { get; init; }

    /// <summary>The private key of <see cref="TlsCertFile"/> (PEM).</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>How long connecting may take before it is given up.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gateways, cluster id and TLS files from the environment where set, else the defaults.</summary>
    public static ScopeClientOptions FromEnvironment()
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        var defaults = new ScopeClientOptions();
        return new ScopeClientOptions
        {
            Gateways = Env(GatewaysVariable) is { } g && !string.IsNullOrWhiteSpace(g) ? ParseGateways(g) : defaults.Gateways,
            ClusterId = Env(ClusterIdVariable) ?? defaults.ClusterId,
            TlsCaFile = Env(TlsCaVariable),
            TlsCertFile = Env(TlsCertVariable),
            TlsKeyFile = Env(TlsKeyVariable),
        };
    }

    /// <summary>Parses <c>HOST:PORT[,HOST:PORT…]</c> (IP addresses or names).</summary>
    /// <exception cref="FormatException">An entry is not HOST:PORT.</exception>
    public static IReadOnlyList<IPEndPoint> ParseGateways(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var list = new List<IPEndPoint>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = part.LastIndexOf(':');
            if (colon <= 0 || !ushort.TryParse(part[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port == 0)
                throw new FormatException($"'{part}' is not HOST:PORT");
            var host = part[..colon];
            var address = IPAddress.TryParse(host, out var ip) ? ip
                : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new FormatException($"'{host}' does not resolve");
            list.Add(new IPEndPoint(address, port));
        }
        return list.Count > 0 ? list : throw new FormatException("no gateway given");
    }
}
