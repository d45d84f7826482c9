using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Scope.Silo.Hosting;

namespace Scope.Storage.Tests;

/// <summary>
/// Cluster membership in PostgreSQL (migration 0005_orleans_clustering.sql): Orleans' own ADO.NET
/// clustering provider (Microsoft.Orleans.Clustering.AdoNet 10.4.2) with two silos set up as the silo
/// sets them up, and a client that finds their gateways in the table; and each query text of the
/// contract run as the provider runs it, binding the same named parameters, for the cases two silos
/// rarely produce on cue: a stale version refused, a heartbeat that never goes back, the defunct clean-ups.
/// </summary>
[Collection(PostgresGroup.Name)]
public sealed class ClusteringTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private async Task<IHost> StartSiloAsync(string clusterId)
    {
        var builder = Host.CreateApplicationBuilder();
        var o = new OrleansOptions { Clustering = OrleansOptions.AdoNet, AdvertisedAddress = "127.0.0.1", SiloPort = FreePort(), GatewayPort = FreePort(), ClusterId = clusterId };
        ClusterMembership.Validate(o);
        builder.UseOrleans(silo => silo.UseScopeClustering(o, db.ConnectionString));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private Task<long> Members(string clusterId, int status) => Helpers.ScalarAsync<long>(db.DataSource,
        "SELECT count(*) FROM scope.cluster_members WHERE deployment_id = @d AND status = @s", ("d", clusterId), ("s", status));

    [Fact]
    public async Task Two_silos_join_through_the_table_a_client_finds_their_gateways_and_a_stopped_silo_is_dead()
    {
        var cluster = "clustering-" + Guid.NewGuid().ToString("N")[..8];
        using var first = await StartSiloAsync(cluster);
        using var second = await StartSiloAsync(cluster);
        await Helpers.EventuallyAsync(async () => await Members(cluster, (int)SiloStatus.Active) == 2, "two active members", 60);
        var membership = first.Services.GetRequiredService<IClusterMembershipService>();
        await Helpers.EventuallyAsync(() => Task.FromResult(
            membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active) == 2), "the first silo to see both", 60);

        // A client that knows only the database: GatewaysQueryKey gives it both gateways.
        var clientBuilder = Host.CreateApplicationBuilder();
        clientBuilder.UseOrleansClient(c =>
        {
            c.UseAdoNetClustering(a =>
            {
                a.Invariant = "Npgsql";
                a.ConnectionString = db.ConnectionString;
            });
            c.Configure<ClusterOptions>(x =>
            {
                x.ClusterId = cluster;
                x.ServiceId = "scope";
            });
        });
        using (var client = clientBuilder.Build())
        {
            await client.StartAsync();
            var hosts = await client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
            Assert.Equal(2, hosts.Count);
            await client.StopAsync();
        }

        var version = await Helpers.ScalarAsync<int>(db.DataSource, "SELECT version FROM scope.cluster_versions WHERE deployment_id = @d", ("d", cluster));
        Assert.True(version >= 4, $"two joins (joining, then active) move the version at least 4 times; it is {version}");

        await second.StopAsync();
        await Helpers.EventuallyAsync(async () => await Members(cluster, (int)SiloStatus.Dead) == 1, "the stopped silo marked dead", 60);
        Assert.Equal(1L, await Members(cluster, (int)SiloStatus.Active));
        await first.StopAsync();
    }

    private async Task<string> Query(string key) =>
        await Helpers.ScalarAsync<string>(db.DataSource, "SELECT querytext FROM orleansquery WHERE querykey = @k", ("k", key));

    /// <summary>Runs a contract query with the provider's parameter names and types; the first column of each row.</summary>
    private async Task<List<object?>> Run(string key, params (string Name, object? Value)[] args)
    {
        await using var cmd = db.DataSource.CreateCommand(await Query(key));
        foreach (var (name, value) in args)
            cmd.Parameters.Add(value is null ? new NpgsqlParameter(name, DBNull.Value) : new NpgsqlParameter(name, value));
        await using var reader = await cmd.ExecuteReaderAsync();
        var first = new List<object?>();
        while (await reader.ReadAsync())
            first.Add(reader.FieldCount > 0 && !reader.IsDBNull(0) ? reader.GetValue(0) : null);
        return first;
    }

    private static (string, object?)[] Member(string d, int port, int generation, int status, int version, DateTime alive, DateTime start) =>
    [
        ("DeploymentId", d), ("Address", "10.0.0.1"), ("Port", port), ("Generation", generation), ("SiloName", "edge.m"),
        ("HostName", "h"), ("Status", status), ("ProxyPort", 0), ("StartTime", start), ("IAmAliveTime", alive), ("Version", version),
    ];

    [Fact]
    public async Task The_migration_provides_every_query_the_clustering_provider_reads()
    {
        // The provider refuses to start unless all ten exist (its "Not all required queries found").
        var keys = await Helpers.RowsAsync(db.DataSource, "SELECT querykey FROM orleansquery WHERE querykey NOT LIKE '%StorageKey' ORDER BY querykey");
        Assert.Equal(
            ["CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
             "InsertMembershipKey", "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey",
             "UpdateIAmAlivetimeKey", "UpdateMembershipKey"],
            keys.Select(r => (string)r[0]!));
    }

    [Fact]
    public async Task The_queries_refuse_a_stale_version_never_move_a_heartbeat_back_and_clean_up_only_the_dead()
    {
        var d = "contract-" + Guid.NewGuid().ToString("N")[..8];
        var start = new DateTime(2026, 11, 28, 10, 0, 0, DateTimeKind.Utc);
        Assert.Equal([1], await Run("InsertMembershipVersionKey", ("DeploymentId", d)));
        Assert.Equal([0], await Run("InsertMembershipVersionKey", ("DeploymentId", d)));

        // Two silos insert from version 0: the first wins, the second must re-read.
        Assert.Equal([1], await Run("InsertMembershipKey", Member(d, 1, 1, (int)SiloStatus.Joining, 0, start, start)));
        Assert.Equal([0], await Run("InsertMembershipKey", Member(d, 2, 1, (int)SiloStatus.Joining, 0, start, start)));
        Assert.Equal([1], await Run("InsertMembershipKey", Member(d, 2, 1, (int)SiloStatus.Joining, 1, start, start)));
        // The same member twice is refused even at the current version, and the version stays.
        Assert.Equal([0], await Run("InsertMembershipKey", Member(d, 2, 1, (int)SiloStatus.Joining, 2, start, start)));
        Assert.Equal(2, await Helpers.ScalarAsync<int>(db.DataSource, "SELECT version FROM scope.cluster_versions WHERE deployment_id = @d", ("d", d)));

        (string, object?)[] Update(int port, int status, int version, DateTime alive, string? suspects) =>
        [
            ("DeploymentId", d), ("Address", "10.0.0.1"), ("Port", port), ("Generation", 1), ("Status", status),
            ("SuspectTimes", suspects), ("IAmAliveTime", alive), ("Version", version),
        ];
        Assert.Equal([0], await Run("UpdateMembershipKey", Update(1, (int)SiloStatus.Active, 1, start, null)));
        Assert.Equal([1], await Run("UpdateMembershipKey", Update(1, (int)SiloStatus.Active, 2, start.AddSeconds(5), null)));
        Assert.Equal([1], await Run("UpdateMembershipKey", Update(2, (int)SiloStatus.Dead, 3, start.AddSeconds(1), null)));
        // An update of a member that does not exist changes nothing, the version included.
        Assert.Equal([0], await Run("UpdateMembershipKey", Update(9, (int)SiloStatus.Dead, 4, start, null)));

        // A late heartbeat does not move the time back.
        await Run("UpdateIAmAlivetimeKey", ("DeploymentId", d), ("Address", "10.0.0.1"), ("Port", 1), ("Generation", 1), ("IAmAliveTime", start.AddSeconds(2)));
        var rows = await Helpers.RowsAsync(db.DataSource, "SELECT port, status, i_am_alive_time FROM scope.cluster_members WHERE deployment_id = @d ORDER BY port", ("d", d));
        Assert.Equal(start.AddSeconds(5), ((DateTime)rows[0][2]!).ToUniversalTime());
        Assert.Equal((int)SiloStatus.Active, rows[0][1]);

        // Reading: every member with the version; one member; and a version row with no members.
        await using (var cmd = db.DataSource.CreateCommand(await Query("MembershipReadAllKey")))
        {
            cmd.Parameters.AddWithValue("DeploymentId", d);
            await using var r = await cmd.ExecuteReaderAsync();
            var seen = 0;
            while (await r.ReadAsync())
            {
                seen++;
                Assert.Equal(4, r.GetInt32(r.GetOrdinal("Version")));
                Assert.Equal("10.0.0.1", r.GetString(r.GetOrdinal("Address")));
                Assert.Equal("edge.m", r.GetString(r.GetOrdinal("SiloName")));
                Assert.False(r.IsDBNull(r.GetOrdinal("StartTime")));
            }
            Assert.Equal(2, seen);
        }
        var nobody = "contract-empty-" + Guid.NewGuid().ToString("N")[..8];
        await Run("InsertMembershipVersionKey", ("DeploymentId", nobody));
        await using (var cmd = db.DataSource.CreateCommand(await Query("MembershipReadRowKey")))
        {
            cmd.Parameters.AddWithValue("DeploymentId", nobody);
            cmd.Parameters.AddWithValue("Address", "10.0.0.1");
            cmd.Parameters.AddWithValue("Port", 1);
            cmd.Parameters.AddWithValue("Generation", 1);
            await using var r = await cmd.ExecuteReaderAsync();
            Assert.True(await r.ReadAsync());
            Assert.True(r.IsDBNull(r.GetOrdinal("StartTime")));
            Assert.Equal(0, r.GetInt32(r.GetOrdinal("Version")));
        }

        // Gateways: active members with a proxy port only.
        await Helpers.ExecAsync(db.DataSource, $"UPDATE scope.cluster_members SET proxy_port = 30000 WHERE deployment_id = '{d}'");
        var gateways = await Helpers.RowsAsync(db.DataSource, await Query("GatewaysQueryKey"), ("DeploymentId", d), ("Status", (int)SiloStatus.Active));
        Assert.Equal(1, Assert.Single(gateways)[2]);

        // One dead member goes only if it is still exactly as read; the live one never.
        Assert.Empty(await Run("CleanupDefunctSiloEntryKey", ("DeploymentId", d), ("Address", "10.0.0.1"), ("Port", 2), ("Generation", 1),
            ("IAmAliveTime", start), ("StartTime", start), ("SuspectTimes", null)));
        Assert.Equal(2L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM scope.cluster_members WHERE deployment_id = @d", ("d", d)));
        await Run("CleanupDefunctSiloEntryKey", ("DeploymentId", d), ("Address", "10.0.0.1"), ("Port", 2), ("Generation", 1),
            ("IAmAliveTime", start.AddSeconds(1)), ("StartTime", start), ("SuspectTimes", null));
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM scope.cluster_members WHERE deployment_id = @d", ("d", d)));

        // The bulk clean-up spares the active member however old its heartbeat.
        await Run("CleanupDefunctSiloEntriesKey", ("DeploymentId", d), ("IAmAliveTime", start.AddDays(1)));
        Assert.Equal(1L, await Members(d, (int)SiloStatus.Active));
        await Run("UpdateMembershipKey", Update(1, (int)SiloStatus.Dead, 4, start.AddSeconds(6), null));
        await Run("CleanupDefunctSiloEntriesKey", ("DeploymentId", d), ("IAmAliveTime", start.AddDays(1)));
        Assert.Equal(0L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM scope.cluster_members WHERE deployment_id = @d", ("d", d)));

        await Run("DeleteMembershipTableEntriesKey", ("DeploymentId", d));
        Assert.Equal(0L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM scope.cluster_versions WHERE deployment_id = @d", ("d", d)));
    }
}
