using System.Net;
using Orleans.Configuration;

namespace Scope.Silo.Hosting;

/// <summary>
/// How silos find each other: Orleans' ADO.NET membership table in PostgreSQL (migration 0005), or a
/// silo alone on localhost. Failure detection is tuned so that a dead host is declared within about
/// 10 s (docs/fleet.md, "When a host dies").
/// </summary>
public static class ClusterMembership
{
    /// <summary>How long one probe may go unanswered.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Missed probes before a silo suspects another.</summary>
    public const int MissedProbes = 3;

    public static void Validate(OrleansOptions o)
    {
        if (o.Clustering is not (OrleansOptions.AdoNet or OrleansOptions.Localhost))
            throw new ArgumentException($"Scope:Orleans:Clustering must be '{OrleansOptions.AdoNet}' or '{OrleansOptions.Localhost}' (got '{o.Clustering}')");
        if (o.SiloPort is < 1 or > 65535)
            throw new ArgumentException($"Scope:Orleans:SiloPort must be 1 to 65535 (got {o.SiloPort})");
        if (o.GatewayPort is < 0 or > 65535)
            throw new ArgumentException($"Scope:Orleans:GatewayPort must be 0 (no gateway) to 65535 (got {o.GatewayPort})");
        if (string.IsNullOrWhiteSpace(o.ClusterId) || o.ClusterId.Length > 150)
            throw new ArgumentException("Scope:Orleans:ClusterId must be 1 to 150 characters");
        if (o.AdvertisedAddress.Length > 0 && !IPAddress.TryParse(o.AdvertisedAddress, out _))
            throw new ArgumentException($"Scope:Orleans:AdvertisedAddress must be an IP address (got '{o.AdvertisedAddress}')");
    }

    public static ISiloBuilder UseScopeClustering(this ISiloBuilder silo, OrleansOptions o, string? connectionString)
    {
        if (o.Clustering == OrleansOptions.Localhost)
            return silo.UseLocalhostClustering(o.SiloPort, o.GatewayPort, serviceId: "scope", clusterId: o.ClusterId);

        if (string.IsNullOrWhiteSpace(connectionString))
            throw new ArgumentException("Scope:Orleans:Clustering AdoNet keeps membership in PostgreSQL: Scope:Storage:ConnectionString is required");
        var address = o.AdvertisedAddress.Length > 0 ? IPAddress.Parse(o.AdvertisedAddress) : IPAddress.Loopback;
        silo.Configure<ClusterOptions>(c =>
        {
            c.ClusterId = o.ClusterId;
            // The service id keys grain state (scope.grain_state): it stays the same across clusters.
            c.ServiceId = "scope";
        });
        silo.ConfigureEndpoints(address, o.SiloPort, o.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(address));
        silo.UseAdoNetClustering(a =>
        {
            a.Invariant = "Npgsql";
            a.ConnectionString = connectionString;
        });
        silo.Configure<ClusterMembershipOptions>(m =>
        {
            m.ProbeTimeout = ProbeTimeout;
            m.NumMissedProbesLimit = MissedProbes;
            // Two votes, or every other active silo's when fewer are left: a core and one edge can
            // still declare the other edge dead.
            m.NumVotesForDeathDeclaration = 2;
            m.TableRefreshTimeout = TimeSpan.FromSeconds(10);
        });
        return silo;
    }
}
