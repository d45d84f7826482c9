using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Scope.Silo.Storage;

/// <summary>
/// Brings the database schema up to date at start-up, before any other hosted service runs, from the
/// SQL files embedded under Storage/Migrations (NNNN_name.sql, applied in NNNN order, each once).
/// </summary>
public sealed partial class Migrator : IHostedService
{
    // Any constant works; it only has to be the same for every silo sharing the database.
    private const long AdvisoryLockKey = 0x5C0_9E_0001;
    private const string ResourceMarker = ".Storage.Migrations.";

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<Migrator> _logger;
    private readonly TaskCompletionSource _migrated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Migrator(NpgsqlDataSource dataSource, ILogger<Migrator> logger)
    {
        _dataSource = dataSource;
        _logger = logger;
    }

    /// <summary>The embedded migrations, in the order they apply.</summary>
    public static IReadOnlyList<Migration> Migrations { get; } = LoadMigrations();

    /// <summary>Completes once the schema is current; what writes or reads the database waits for it.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _migrated.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Retries while PostgreSQL is unreachable (the silo may start before it), but fails start-up on
    /// a migration that PostgreSQL rejects: running on with a half-known schema would be worse.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await MigrateAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                LogUnreachable(_logger, delay.TotalSeconds, ex);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 5));
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Applies the pending migrations in one transaction; safe to run concurrently and repeatedly.</summary>
    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Serialises silos starting together; released with the transaction.
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", conn, tx))
        {
            lockCmd.Parameters.AddWithValue("key", AdvisoryLockKey);
            await lockCmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        const string bootstrap = """
            CREATE SCHEMA IF NOT EXISTS scope;
            CREATE TABLE IF NOT EXISTS scope.schema_migrations (
                version     integer PRIMARY KEY,
                name        text NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            );
            """;
        await using (var cmd = new NpgsqlCommand(bootstrap, conn, tx))
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        var applied = new HashSet<int>();
        await using (var cmd = new NpgsqlCommand("SELECT version FROM scope.schema_migrations", conn, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                applied.Add(reader.GetInt32(0));
        }

        int count = 0;
        foreach (var migration in Migrations)
        {
            if (applied.Contains(migration.Version))
                continue;
            LogApplying(_logger, migration.Version, migration.Name);
            await using (var cmd = new NpgsqlCommand(migration.Sql, conn, tx))
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using (var cmd = new NpgsqlCommand("INSERT INTO scope.schema_migrations (version, name) VALUES (@v, @n)", conn, tx))
            {
                cmd.Parameters.AddWithValue("v", migration.Version);
                cmd.Parameters.AddWithValue("n", migration.Name);
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            count++;
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (count > 0)
            LogMigrated(_logger, count, Migrations.Count == 0 ? 0 : Migrations[^1].Version);
        _migrated.TrySetResult();
        return count;
    }

    private static List<Migration> LoadMigrations()
    {
        var assembly = typeof(Migrator).Assembly;
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            int at = resource.IndexOf(ResourceMarker, StringComparison.Ordinal);
            if (at < 0 || !resource.EndsWith(".sql", StringComparison.Ordinal))
                continue;
            var file = resource[(at + ResourceMarker.Length)..^".sql".Length];
            int underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(file.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out int version))
                throw new InvalidOperationException($"migration resource {resource} is not named NNNN_name.sql");
            list.Add(new Migration(version, file[(underscore + 1)..], ReadResource(assembly, resource)));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 1; i < list.Count; i++)
        {
            if (list[i].Version == list[i - 1].Version)
                throw new InvalidOperationException($"two migrations have version {list[i].Version}");
        }
        return list;
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"migration resource {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL is unreachable for migrations; retrying in {DelaySeconds} s")]
    private static partial void LogUnreachable(ILogger logger, double delaySeconds, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applying migration {Version} ({Name})")]
    private static partial void LogApplying(ILogger logger, int version, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Count} migration(s); schema is at version {Version}")]
    private static partial void LogMigrated(ILogger logger, int count, int version);
}

/// <summary>One embedded migration script.</summary>
public sealed record Migration(int Version, string Name, string Sql);
