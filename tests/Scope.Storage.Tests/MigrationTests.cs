using Microsoft.Extensions.Logging.Abstractions;
using Scope.Silo.Storage;

namespace Scope.Storage.Tests;

[Collection(PostgresGroup.Name)]
public sealed class MigrationTests(PgServer server)
{
    [Fact]
    public async Task Migrations_apply_once_and_rerun_as_no_ops()
    {
        var ds = server.DataSource(await server.CreateDatabaseAsync("migrations"));
        var migrator = new Migrator(ds, NullLogger<Migrator>.Instance);
        Assert.NotEmpty(Migrator.Migrations);
        Assert.Equal(1, Migrator.Migrations[0].Version);

        Assert.Equal(Migrator.Migrations.Count, await migrator.MigrateAsync(default));
        Assert.Equal(0, await migrator.MigrateAsync(default));
        await migrator.StartAsync(default); // the hosted path, a third time
        await migrator.WaitAsync(default);

        var versions = await Helpers.RowsAsync(ds, "SELECT version, name FROM scope.schema_migrations ORDER BY version");
        Assert.Equal(Migrator.Migrations.Select(m => (object?)m.Version), versions.Select(r => r[0]));
        Assert.Equal("initial", versions[0][1]);
        Assert.Equal("cuda", versions[1][1]);

        var tables = await Helpers.RowsAsync(ds, "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'scope' AND c.relkind IN ('r', 'p') ORDER BY 1");
        var names = tables.Select(r => (string)r[0]!).ToList();
        foreach (var t in new[] { "collectors", "cuda_metrics", "events", "events_default", "machines", "processes", "schema_migrations", "syscall_stats" })
            Assert.Contains(t, names);
    }

    [Fact]
    public async Task Concurrent_migrators_serialise_on_the_advisory_lock()
    {
        var ds = server.DataSource(await server.CreateDatabaseAsync("concurrent"));
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => new Migrator(ds, NullLogger<Migrator>.Instance).MigrateAsync(default)));
        Assert.Equal(Migrator.Migrations.Count, results.Sum());
        Assert.Equal((long)Migrator.Migrations.Count, await Helpers.ScalarAsync<long>(ds, "SELECT count(*) FROM scope.schema_migrations"));
    }
}

/// <summary>Needs no server, so it stays out of the PostgreSQL collection.</summary>
public sealed class MigratorStartTests
{
    [Fact]
    public async Task Start_keeps_retrying_while_the_database_is_unreachable()
    {
        // Nothing listens on a port just released.
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        int port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using var ds = Npgsql.NpgsqlDataSource.Create($"Host=127.0.0.1;Port={port};Username=postgres;Database=scope;Timeout=2");
        var migrator = new Migrator(ds, NullLogger<Migrator>.Instance);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2.5));
        // It retried (a refused connection is transient) until start-up was cancelled, rather than failing.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => migrator.StartAsync(cts.Token));
        Assert.False(migrator.WaitAsync(default).IsCompleted);
    }
}
