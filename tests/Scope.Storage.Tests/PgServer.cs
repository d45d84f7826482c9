using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Scope.Storage.Tests;

/// <summary>
/// A private PostgreSQL for this test run, started with scripts/pg.sh in a fresh temp state dir on a
/// free port, stopped and deleted at the end. Failing to start fails every test: never a skip.
/// </summary>
public sealed class PgServer : IAsyncLifetime
{
    private readonly string _repo = FindRepo();
    private readonly List<NpgsqlDataSource> _dataSources = [];
    private int _databases;

    public string StateDir { get; } = Directory.CreateTempSubdirectory("scope-storage-tests-").FullName;

    public int Port { get; } = FreePort();

    /// <summary>Connection string of the `scope` database, as `pg.sh url` prints it.</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await StartAsync();
        ConnectionString = (await RunAsync("url")).Trim();
    }

    public async Task DisposeAsync()
    {
        foreach (var ds in _dataSources)
            await ds.DisposeAsync();
        try
        {
            await RunAsync("stop");
        }
        finally
        {
            Directory.Delete(StateDir, recursive: true);
        }
    }

    public async Task StartAsync()
    {
        await RunAsync("start");
        // Idle pooled connections died with the old server process.
        lock (_dataSources)
        {
            foreach (var ds in _dataSources)
                ds.Clear();
        }
    }

    public Task StopAsync() => RunAsync("stop");

    public async Task<bool> IsRunningAsync() => (await RunRawAsync("status")).ExitCode == 0;

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string hint)
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{new string(hint.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(40).ToArray())}";
        await using (var conn = new NpgsqlConnection(ConnectionString + ";Pooling=false"))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>A data source that is cleared when the server restarts; disposed at the end.</summary>
    public NpgsqlDataSource DataSource(string connectionString)
    {
        var ds = NpgsqlDataSource.Create(connectionString);
        lock (_dataSources)
            _dataSources.Add(ds);
        return ds;
    }

    private async Task<string> RunAsync(string command)
    {
        var (code, stdout, stderr) = await RunRawAsync(command);
        if (code != 0)
            throw new InvalidOperationException($"scripts/pg.sh {command} failed (exit {code}): {stderr}");
        return stdout;
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RunRawAsync(string command)
    {
        var psi = new ProcessStartInfo(Path.Combine(_repo, "scripts", "pg.sh"), command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment["SCOPE_STATE_DIR"] = StateDir;
        psi.Environment["SCOPE_PG_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot run scripts/pg.sh");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static int FreePort()
    {
        // Not 5499: a developer's own instance may be running there.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "scripts", "pg.sh")))
                return dir.FullName;
        }
        throw new InvalidOperationException("scripts/pg.sh not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresGroup : ICollectionFixture<PgServer>
{
    // One collection: the tests that stop the server must not run beside the others.
    public const string Name = "postgres";
}

/// <summary>A fresh, migrated database per test class, with today's partitions.</summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private readonly PgServer _server;

    public TestDatabase(PgServer server)
    {
        _server = server;
    }

    public PgServer Server => _server;

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ConnectionString = await _server.CreateDatabaseAsync("class");
        DataSource = _server.DataSource(ConnectionString);
        await new Scope.Silo.Storage.Migrator(DataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<Scope.Silo.Storage.Migrator>.Instance).MigrateAsync(default);
        await Helpers.Maintainer(DataSource).RunOnceAsync(DateTimeOffset.UtcNow, default);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
