using Npgsql;
using Scope.Abstractions;

namespace Scope.Storage.Tests;

/// <summary>PostgreSQL goes away under a running writer. These stop the shared server, so the collection runs them alone.</summary>
[Collection(PostgresGroup.Name)]
public sealed class OutageTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static List<byte[]> Syscalls(int n, int batch) =>
        Enumerable.Range(0, n).Select(i => Records.Syscall(Run.At((batch * 1000) + i), Run.Boot, 77, 77, "busy", 0, 1, 100)).ToList();

    [Fact]
    public async Task Batches_enqueued_while_PostgreSQL_is_down_are_all_written_once_it_is_back()
    {
        // Its own pool, which the test does not clear: recovering from dead connections is the writer's job.
        await using var ds = NpgsqlDataSource.Create(db.ConnectionString);
        using var writer = Helpers.Writer(ds);
        await writer.StartAsync(default);
        var run = new Run(Helpers.NewMachine("outage"));
        var batches = new List<EventBatch>();
        try
        {
            batches.Add(run.Batch(Syscalls(10, 0)));
            Assert.True(await writer.EnqueueAsync(batches[^1], default));
            await Helpers.DrainAsync(writer);

            await db.Server.StopAsync();
            for (int n = 1; n <= 15; n++)
            {
                batches.Add(run.Batch(Syscalls(20, n), lostBefore: n == 7 ? 3UL : 0));
                Assert.True(await writer.EnqueueAsync(batches[^1], default));
                await Task.Delay(100);
            }
            await Task.Delay(1500);
            Assert.True(writer.QueueBytes > 0);
        }
        finally
        {
            if (!await db.Server.IsRunningAsync())
                await db.Server.StartAsync();
        }

        await Helpers.DrainAsync(writer, seconds: 30);
        await writer.StopAsync(default);

        long records = batches.Sum(b => (long)b.RecordCount);
        Assert.Equal(records, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM scope.events WHERE machine_id = @m", ("m", run.MachineId)));
        Assert.Equal(records, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(DISTINCT event_index) FROM scope.events WHERE machine_id = @m", ("m", run.MachineId)));
        var c = (await Helpers.RowsAsync(db.DataSource, "SELECT next_event, persisted_events, gap_events, persist_drops, last_sequence FROM scope.collectors WHERE machine_id = @m",
            ("m", run.MachineId))).Single();
        Assert.Equal(new object?[] { (long)run.NextEvent, records, 3L, 0L, 16L }, c);
        Assert.Equal(records, writer.RecordsWritten);
        Assert.Equal(0, writer.RecordsDropped);
    }

    [Fact]
    public async Task A_full_buffer_drops_batches_and_the_drops_are_accounted_after_recovery()
    {
        await using var ds = NpgsqlDataSource.Create(db.ConnectionString);
        using var writer = Helpers.Writer(ds, bufferMb: 1);
        await writer.StartAsync(default);
        var run = new Run(Helpers.NewMachine("full"));
        var accepted = new List<bool>();
        try
        {
            await db.Server.StopAsync();
            // 1000 syscall records = 120,000 bytes: eight fit in 1 MiB, the rest wait a second and are dropped.
            for (int n = 0; n < 10; n++)
                accepted.Add(await writer.EnqueueAsync(run.Batch(Syscalls(1000, n)), default));
        }
        finally
        {
            if (!await db.Server.IsRunningAsync())
                await db.Server.StartAsync();
        }

        Assert.Equal([true, true, true, true, true, true, true, true, false, false], accepted);
        Assert.Equal(2000, writer.RecordsDropped);
        Assert.Equal(2, writer.BatchesDropped);
        Assert.True(writer.QueueBytes <= 1024 * 1024);

        // After the drops, the run goes on.
        Assert.True(await writer.EnqueueAsync(run.Batch(Syscalls(5, 10)), default));
        await Helpers.EventuallyAsync(async () => await Helpers.ScalarAsync<long>(db.DataSource,
            "SELECT coalesce(sum(persisted_events), 0)::bigint FROM scope.collectors WHERE machine_id = @m", ("m", run.MachineId)) == 8005, "the buffered batches", 30);
        await writer.StopAsync(default);

        var c = (await Helpers.RowsAsync(db.DataSource, "SELECT next_event, persisted_events, gap_events, persist_drops FROM scope.collectors WHERE machine_id = @m",
            ("m", run.MachineId))).Single();
        Assert.Equal(new object?[] { 10005L, 8005L, 0L, 2000L }, c);
        Assert.Equal(8005L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM scope.events WHERE machine_id = @m", ("m", run.MachineId)));
        Assert.Equal(new Silo.Storage.CollectorWatermark(10005, 0, 11), await writer.GetWatermarkAsync(run.MachineId, run.CollectorId, run.Instance, default));
    }
}
