using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Scope.Silo.Storage;

/// <summary>
/// Keeps scope.events partitioned by UTC day: at start and hourly it makes the partitions for
/// yesterday through the day after tomorrow (and for any day whose rows wait in the default
/// partition), and drops the days that fell out of <see cref="StorageOptions.RetentionDays"/>
/// (and deletes scope.cuda_metrics rows as old).
/// </summary>
public sealed partial class PartitionMaintainer : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly StorageOptions _options;
    private readonly ILogger<PartitionMaintainer> _logger;
    private readonly TimeProvider _time;
    private readonly Migrator? _migrator;

    public PartitionMaintainer(NpgsqlDataSource dataSource, IOptions<StorageOptions> options, ILogger<PartitionMaintainer> logger,
        TimeProvider? time = null, Migrator? migrator = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _dataSource = dataSource;
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _migrator = migrator;
    }

    /// <summary>The partition holding one UTC day: events_YYYYMMDD.</summary>
    public static string PartitionName(DateOnly day) => "events_" + day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_migrator is not null)
            await _migrator.WaitAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = Interval;
            try
            {
                await RunOnceAsync(_time.GetUtcNow(), stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever failed, the host must not stop over it (a BackgroundService that throws
                // stops it); without tomorrow's partition rows only land in the default one, so
                // retry soon.
                LogFailed(_logger, ex);
                next = RetryAfterFailure;
            }
            await Task.Delay(next, _time, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>One maintenance pass as if it were <paramref name="now"/>.</summary>
    public async Task RunOnceAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        DateTimeOffset? cutoff = _options.RetentionDays > 0 ? now.AddDays(-_options.RetentionDays) : null;

        var days = new SortedSet<DateOnly>();
        for (int d = -1; d <= 2; d++)
            days.Add(today.AddDays(d));
        // Rows that arrived for a day with no partition (a backlog after an outage, a skewed clock)
        // get one too, as long as the day is still kept and not absurdly far ahead.
        foreach (var day in await DaysInDefaultAsync(cancellationToken).ConfigureAwait(false))
        {
            if (day > today.AddDays(2) || (cutoff is { } c && End(day) <= c))
                continue;
            days.Add(day);
        }

        var existing = await ListPartitionsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var day in days)
        {
            if (!existing.Contains(day))
                await EnsurePartitionAsync(day, cancellationToken).ConfigureAwait(false);
        }

        if (cutoff is { } keepFrom)
        {
            foreach (var day in existing)
            {
                // A day goes only when all of it is older than the retention.
                if (End(day) <= keepFrom)
                    await DropPartitionAsync(day, cancellationToken).ConfigureAwait(false);
            }
            await PurgeDefaultAsync(keepFrom, cancellationToken).ConfigureAwait(false);
            await PurgeCudaMetricsAsync(keepFrom, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The days that have a partition.</summary>
    public async Task<SortedSet<DateOnly>> ListPartitionsAsync(CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT c.relname FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'scope.events'::regclass
            """;
        var days = new SortedSet<DateOnly>();
        await using var cmd = _dataSource.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = reader.GetString(0);
            if (name.StartsWith("events_", StringComparison.Ordinal)
                && DateOnly.TryParseExact(name.AsSpan("events_".Length), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                days.Add(day);
        }
        return days;
    }

    /// <summary>
    /// Makes the partition for <paramref name="day"/> unless it exists, first moving that day's rows
    /// out of the default partition: PostgreSQL refuses to create a partition whose range has rows
    /// there. One transaction, so readers see the rows in exactly one place. Returns whether it made one.
    /// </summary>
    public async Task<bool> EnsurePartitionAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var name = PartitionName(day);
        string from = Literal(Start(day)), to = Literal(End(day));

        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Creating a partition locks the parent exclusively; writers queue behind a waiting lock
        // request, so give up quickly instead and try again next pass.
        await ExecuteAsync(conn, tx, "SET LOCAL lock_timeout = '5s'", cancellationToken).ConfigureAwait(false);
        // Taken up front (the DDL below needs it anyway) so no row can reach the default partition
        // between the move and the CREATE.
        await ExecuteAsync(conn, tx, "LOCK TABLE scope.events IN ACCESS EXCLUSIVE MODE", cancellationToken).ConfigureAwait(false);

        await using (var exists = new NpgsqlCommand("SELECT to_regclass(@name) IS NOT NULL", conn, tx))
        {
            exists.Parameters.AddWithValue("name", "scope." + name);
            if ((bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                return false;
        }

        await ExecuteAsync(conn, tx, $"""
            CREATE TEMP TABLE scope_moving ON COMMIT DROP AS
            WITH gone AS (DELETE FROM scope.events_default WHERE time >= {from} AND time < {to} RETURNING *)
            SELECT * FROM gone
            """, cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(conn, tx, $"CREATE TABLE scope.{name} PARTITION OF scope.events FOR VALUES FROM ({from}) TO ({to})", cancellationToken).ConfigureAwait(false);
        long moved;
        await using (var insert = new NpgsqlCommand("INSERT INTO scope.events SELECT * FROM scope_moving", conn, tx))
            moved = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        LogCreated(_logger, name, moved);
        return true;
    }

    private async Task DropPartitionAsync(DateOnly day, CancellationToken cancellationToken)
    {
        var name = PartitionName(day);
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(conn, tx, "SET LOCAL lock_timeout = '5s'", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(conn, tx, $"DROP TABLE IF EXISTS scope.{name}", cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        LogDropped(_logger, name);
    }

    /// <summary>Rows in the default partition are subject to the same retention as the rest.</summary>
    private async Task PurgeDefaultAsync(DateTimeOffset keepFrom, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("DELETE FROM scope.events_default WHERE time < @cutoff");
        cmd.Parameters.AddWithValue("cutoff", keepFrom.UtcDateTime);
        var purged = await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (purged > 0)
            LogPurged(_logger, purged);
    }

    /// <summary>CUDA metrics samples are few (one per process per interval), so they are deleted, not partitioned.</summary>
    private async Task PurgeCudaMetricsAsync(DateTimeOffset keepFrom, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("DELETE FROM scope.cuda_metrics WHERE time < @cutoff");
        cmd.Parameters.AddWithValue("cutoff", keepFrom.UtcDateTime);
        var purged = await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (purged > 0)
            LogPurgedMetrics(_logger, purged);
    }

    private async Task<List<DateOnly>> DaysInDefaultAsync(CancellationToken cancellationToken)
    {
        // The default partition is small in steady state (rows pass through it only until their
        // day's partition exists), so a scan is cheap.
        await using var cmd = _dataSource.CreateCommand("SELECT DISTINCT (time AT TIME ZONE 'UTC')::date FROM scope.events_default");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var days = new List<DateOnly>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            days.Add(reader.GetFieldValue<DateOnly>(0));
        return days;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static DateTimeOffset Start(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static DateTimeOffset End(DateOnly day) => Start(day.AddDays(1));

    // DDL takes no parameters; these literals are built from a DateOnly, never from input text.
    private static string Literal(DateTimeOffset t) => "'" + t.ToString("yyyy-MM-dd HH:mm:ss'+00'", CultureInfo.InvariantCulture) + "'";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Partition maintenance failed; retrying in a minute")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created partition scope.{Partition} ({Moved} row(s) moved from the default partition)")]
    private static partial void LogCreated(ILogger logger, string partition, long moved);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped partition scope.{Partition} (past retention)")]
    private static partial void LogDropped(ILogger logger, string partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Rows} row(s) past retention from the default partition")]
    private static partial void LogPurged(ILogger logger, int rows);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged {Rows} CUDA metrics row(s) past retention")]
    private static partial void LogPurgedMetrics(ILogger logger, int rows);
}
