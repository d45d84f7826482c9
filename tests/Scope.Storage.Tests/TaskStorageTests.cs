using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;
using Scope.Grains.Tasks;
using Scope.Silo.Tasks;

namespace Scope.Storage.Tests;

/// <summary>
/// Orleans' own ADO.NET persistence provider (Microsoft.Orleans.Persistence.AdoNet 10.4.2), set up as the
/// silo sets it up (<see cref="TaskHosting.AddScopeTaskStorage"/>), running the queries of migration
/// 0004_orleans_persistence.sql against a real PostgreSQL: reads, writes, ETag conflicts, clears, deletes.
/// </summary>
[Collection(PostgresGroup.Name)]
public sealed class TaskStorageTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private const string DeletingProvider = "deleting";

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>A silo with the task storage (and a second provider that deletes rows on clear), started.</summary>
    private async Task<IHost> StartSiloAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Scope:Storage:ConnectionString"] = db.ConnectionString });
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), FreePort(), serviceId: "scope-storage-tests", clusterId: "storage-tests");
            silo.AddScopeTaskStorage(builder.Configuration);
            silo.AddScopeTaskStorage(builder.Configuration); // idempotent: the Orleans set-up may call it too
            silo.AddAdoNetGrainStorage(DeletingProvider, o =>
            {
                o.Invariant = TaskHosting.Invariant;
                o.ConnectionString = db.ConnectionString;
                o.DeleteStateOnClear = true;
            });
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static GrainState<Dictionary<string, string>> Fresh() => new(new Dictionary<string, string>());

    private Task<long> Rows(string key) => Helpers.ScalarAsync<long>(db.DataSource,
        "SELECT count(*) FROM scope.grain_state WHERE grainidextensionstring = @k", ("k", key));

    [Fact]
    public async Task The_provider_writes_reads_detects_conflicts_and_clears_through_the_migrated_queries()
    {
        using var host = await StartSiloAsync();
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(TaskStorage.Name);
        Assert.IsType<AdoNetGrainStorage>(storage);
        var key = "t-" + Guid.NewGuid().ToString("N");
        var grain = GrainId.Create("monitoringtask", key);
        const string type = "Scope.Grains.Tasks.MonitoringTaskGrain";

        // Nothing stored yet: no record, no ETag, a new state.
        var a = Fresh();
        await storage.ReadStateAsync(type, grain, a);
        Assert.False(a.RecordExists);
        Assert.Null(a.ETag);
        Assert.Empty(a.State!);

        // The first write inserts at version 1.
        a.State!["machine"] = "m1";
        await storage.WriteStateAsync(type, grain, a);
        Assert.Equal("1", a.ETag);
        Assert.True(a.RecordExists);
        Assert.Equal(1, await Rows(key));

        // Another reader sees it, at the same version.
        var b = Fresh();
        await storage.ReadStateAsync(type, grain, b);
        Assert.True(b.RecordExists);
        Assert.Equal("1", b.ETag);
        Assert.Equal("m1", b.State!["machine"]);

        // An update moves the version on; the other reader's ETag is now stale.
        a.State!["state"] = "running";
        await storage.WriteStateAsync(type, grain, a);
        Assert.Equal("2", a.ETag);
        b.State!["state"] = "stopped";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(type, grain, b));
        Assert.Equal("1", b.ETag);

        // A writer that never read (no ETag) must not overwrite an existing row.
        var blind = Fresh();
        blind.State!["state"] = "blind";
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(type, grain, blind));

        var c = Fresh();
        await storage.ReadStateAsync(type, grain, c);
        Assert.Equal(("2", "running"), (c.ETag, c.State!["state"]));
        Assert.Equal(1, await Rows(key));

        // Clearing needs the current version too; it empties the row and moves its version on.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(type, grain, b));
        await storage.ClearStateAsync(type, grain, a);
        Assert.Equal("3", a.ETag);
        Assert.False(a.RecordExists);
        Assert.Empty(a.State!);
        var d = Fresh();
        await storage.ReadStateAsync(type, grain, d);
        Assert.False(d.RecordExists);
        Assert.Equal("3", d.ETag);
        Assert.Empty(d.State!);

        // A write after the clear continues from the cleared row.
        d.State!["state"] = "again";
        await storage.WriteStateAsync(type, grain, d);
        Assert.Equal("4", d.ETag);
        var e = Fresh();
        await storage.ReadStateAsync(type, grain, e);
        Assert.Equal(("4", "again"), (e.ETag, e.State!["state"]));

        // Keys are kept apart: another grain, and the same key under another grain type, see nothing.
        var other = Fresh();
        await storage.ReadStateAsync(type, GrainId.Create("monitoringtask", key + "x"), other);
        Assert.False(other.RecordExists);
        await storage.ReadStateAsync("Scope.Grains.Tasks.HostAgentGrain", grain, other);
        Assert.False(other.RecordExists);
        await host.StopAsync();
    }

    [Fact]
    public async Task With_DeleteStateOnClear_the_provider_deletes_the_row_through_DeleteStorageKey()
    {
        using var host = await StartSiloAsync();
        var storage = host.Services.GetRequiredKeyedService<IGrainStorage>(DeletingProvider);
        var key = "d-" + Guid.NewGuid().ToString("N");
        var grain = GrainId.Create("hostagent", key);
        const string type = "Scope.Grains.Tasks.HostAgentGrain";

        var a = Fresh();
        await storage.ReadStateAsync(type, grain, a);
        a.State!["active"] = "t1";
        await storage.WriteStateAsync(type, grain, a);
        a.State!["active"] = "t1,t2";
        await storage.WriteStateAsync(type, grain, a);
        Assert.Equal("2", a.ETag);

        var stale = Fresh();
        stale.ETag = "1";
        stale.RecordExists = true;
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(type, grain, stale));
        Assert.Equal(1, await Rows(key));

        await storage.ClearStateAsync(type, grain, a);
        Assert.Null(a.ETag);
        Assert.False(a.RecordExists);
        Assert.Equal(0, await Rows(key));

        // Gone: a new write starts again at version 1.
        a.State!["active"] = "t3";
        await storage.WriteStateAsync(type, grain, a);
        Assert.Equal("1", a.ETag);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_migration_provides_every_query_the_provider_reads()
    {
        var keys = await Helpers.RowsAsync(db.DataSource, "SELECT querykey FROM orleansquery WHERE querykey LIKE '%StorageKey' ORDER BY querykey");
        Assert.Equal(["ClearStorageKey", "DeleteStorageKey", "ReadFromStorageKey", "WriteToStorageKey"], keys.Select(r => (string)r[0]!));
    }
}
