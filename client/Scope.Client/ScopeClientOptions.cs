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

    /// <summary>How long connecting may take before it is given up.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gateways from <see cref="GatewaysVariable"/> when set, else the default.</summary>
    public static ScopeClientOptions FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(GatewaysVariable);
        return string.IsNullOrWhiteSpace(value) ? new ScopeClientOptions() : new ScopeClientOptions { Gateways = ParseGateways(value) };
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
