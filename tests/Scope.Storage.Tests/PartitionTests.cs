using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Scope.Silo.Storage;

namespace Scope.Storage.Tests;

[Collection(PostgresGroup.Name)]
public sealed class PartitionTests(PgServer server)
{
    private async Task<NpgsqlDataSource> FreshAsync(string hint)
    {
        var ds = server.DataSource(await server.CreateDatabaseAsync(hint));
        await new Migrator(ds, NullLogger<Migrator>.Instance).MigrateAsync(default);
        return ds;
    }

    private static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    private static async Task InsertEventAsync(NpgsqlDataSource ds, DateTimeOffset time, long index)
    {
        await using var cmd = ds.CreateCommand("""
            INSERT INTO scope.events (time, ts_ns, machine_id, collector_id, instance, event_index, pid, tid, start_ns, comm, type, record)
            VALUES (@t, 1, 'm', 'c', 1, @i, 1, 1, 1, 'x', 4, '\x00')
            """);
        cmd.Parameters.AddWithValue("t", time.UtcDateTime);
        cmd.Parameters.AddWithValue("i", index);
        await cmd.ExecuteNonQueryAsync();
    }

    private static Task<List<object?[]>> WhereRowsAreAsync(NpgsqlDataSource ds) =>
        Helpers.RowsAsync(ds, "SELECT tableoid::regclass::text, count(*) FROM scope.events GROUP BY 1 ORDER BY 1");

    [Fact]
    public async Task Maintenance_creates_yesterday_to_the_day_after_tomorrow_and_drops_past_retention()
    {
        var ds = await FreshAsync("retention");
        var maintainer = Helpers.Maintainer(ds, retentionDays: 7);
        var now = DateTimeOffset.UtcNow;

        Assert.True(await maintainer.EnsurePartitionAsync(Today.AddDays(-10), default));
        Assert.True(await maintainer.EnsurePartitionAsync(Today.AddDays(-7), default));
        Assert.False(await maintainer.EnsurePartitionAsync(Today.AddDays(-7), default));
        await InsertEventAsync(ds, now.AddDays(-10), 1);

        await maintainer.RunOnceAsync(now, default);
        var days = await maintainer.ListPartitionsAsync(default);
        // Today-10 ends more than 7 days ago: gone with its rows. Today-7 still holds data younger than 7 days.
        Assert.Equal(new[] { -7, -1, 0, 1, 2 }.Select(d => Today.AddDays(d)), days);
        Assert.Equal(0L, await Helpers.ScalarAsync<long>(ds, "SELECT count(*) FROM scope.events"));

        // Idempotent.
        await maintainer.RunOnceAsync(now, default);
        Assert.Equal(days, await maintainer.ListPartitionsAsync(default));

        // Retention 0 keeps everything.
        var keepAll = Helpers.Maintainer(ds, retentionDays: 0);
        await keepAll.EnsurePartitionAsync(Today.AddDays(-400), default);
        await keepAll.RunOnceAsync(now, default);
        Assert.Contains(Today.AddDays(-400), await keepAll.ListPartitionsAsync(default));
    }

    [Fact]
    public async Task Rows_waiting_in_the_default_partition_move_into_their_new_partition()
    {
        var ds = await FreshAsync("default");
        var maintainer = Helpers.Maintainer(ds, retentionDays: 7);
        var now = DateTimeOffset.UtcNow;
        await maintainer.RunOnceAsync(now, default);

        var ahead = new DateTimeOffset(Today.AddDays(5).ToDateTime(new TimeOnly(12, 0)), TimeSpan.Zero);
        var farAhead = ahead.AddDays(30);
        var backlog = new DateTimeOffset(Today.AddDays(-3).ToDateTime(new TimeOnly(23, 59, 59)), TimeSpan.Zero);
        for (int i = 0; i < 3; i++)
            await InsertEventAsync(ds, ahead.AddMinutes(i), i);
        await InsertEventAsync(ds, farAhead, 10);
        await InsertEventAsync(ds, backlog, 20);
        await InsertEventAsync(ds, now.AddDays(-30), 30); // past retention, in the default partition

        Assert.Equal("scope.events_default", (await WhereRowsAreAsync(ds)).Single()[0]);

        // Four days on, today+5 falls within the window; the backlog day is within retention.
        await maintainer.RunOnceAsync(now.AddDays(4), default);

        var placed = (await WhereRowsAreAsync(ds)).ToDictionary(r => (string)r[0]!, r => (long)r[1]!);
        Assert.Equal(3L, placed["scope." + PartitionMaintainer.PartitionName(Today.AddDays(5))]);
        Assert.Equal(1L, placed["scope." + PartitionMaintainer.PartitionName(Today.AddDays(-3))]);
        Assert.Equal(1L, placed["scope.events_default"]); // only the far-future row waits
        Assert.Equal(5L, await Helpers.ScalarAsync<long>(ds, "SELECT count(*) FROM scope.events"));

        // EnsurePartitionAsync on its own moves rows too.
        Assert.True(await maintainer.EnsurePartitionAsync(DateOnly.FromDateTime(farAhead.UtcDateTime), default));
        Assert.Equal(0L, await Helpers.ScalarAsync<long>(ds, "SELECT count(*) FROM scope.events_default"));
        Assert.Equal(5L, await Helpers.ScalarAsync<long>(ds, "SELECT count(*) FROM scope.events"));

        // Each partition carries the BRIN and the process index.
        var indexes = await Helpers.RowsAsync(ds, """
            SELECT indexdef FROM pg_indexes WHERE schemaname = 'scope' AND tablename = @t
            """, ("t", PartitionMaintainer.PartitionName(Today.AddDays(5))));
        Assert.Contains(indexes, r => ((string)r[0]!).Contains("USING brin (\"time\")", StringComparison.Ordinal));
        Assert.Contains(indexes, r => ((string)r[0]!).Contains("(machine_id, pid, start_ns, \"time\")", StringComparison.Ordinal));
    }
}
