using Microsoft.Extensions.Logging.Abstractions;
using Scope.Abstractions;
using Scope.Silo.Storage;

namespace Scope.Storage.Tests;

/// <summary>CUDA records in scope.events (and read back for a grain's replay), and CUDA metrics samples in scope.cuda_metrics.</summary>
[Collection(PostgresGroup.Name)]
public sealed class CudaStorageTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const ushort CudaMalloc = 1, CudaFree = 2;

    private PersistenceWriter _writer = null!;

    public async Task InitializeAsync()
    {
        _writer = Helpers.Writer(db.DataSource);
        await _writer.StartAsync(default);
    }

    public async Task DisposeAsync()
    {
        await _writer.StopAsync(default);
        _writer.Dispose();
    }

    private async Task WriteAsync(params EventBatch[] batches)
    {
        foreach (var b in batches)
            Assert.True(await _writer.EnqueueAsync(b, default));
        await Helpers.DrainAsync(_writer);
    }

    [Fact]
    public async Task Stacks_and_symbols_are_stored_with_the_calls_and_replay_reads_a_process_in_order()
    {
        var machine = Helpers.NewMachine("cuda");
        var wall = DateTimeOffset.UtcNow.AddMinutes(-3);
        // The collector restarted while the process ran: the later run has the smaller instance, so
        // the order of runs must come from when they started, not from their ids.
        var first = new Run(machine, "c1", instance: 7, wallAtBoot: wall);
        var second = new Run(machine, "c1", instance: 3, wallAtBoot: wall);
        const uint pid = 4242, tid = 4243, other = 5151;
        const ulong start = Run.Boot + 77;
        const ulong stub = 0x401000;

        var firstRecords = new List<byte[]>
        {
            Records.Syscall(Run.At(1), start, pid, tid, "train", 0, 0, 10),
            Records.Symbol(Run.At(2), start, pid, "train", 0x401234, 0x1c, "train", "alloc_buffers"),
            Records.CudaStack(Run.At(2), start, pid, tid, "train", CudaMalloc, 0x401234, 0x401500),
            Records.CudaCall(Run.At(2), start, pid, tid, "train", CudaMalloc, 0, 0x7000_0000, 1 << 20, flags: 0x4),
            Records.CudaRegister(Run.At(3), start, pid, "train", stub, "vec_add(float*)"),
            Records.CudaCall(Run.At(4), start, other, other, "other", CudaMalloc, 0, 0x9000_0000, 64),
            Records.Counts(Run.At(5), start, pid, "train", false, (0, 1, 0, 10)),
        };
        var secondRecords = new List<byte[]>
        {
            Records.CudaCall(Run.At(10), start, pid, tid, "train", CudaFree, 0, 0x7000_0000, 0),
            Records.Exit(Run.At(11), start, pid, "train", 0, 0),
        };
        second.NextEvent = 100;
        await WriteAsync(first.Batch(firstRecords), second.Batch(secondRecords));

        // Types 10 and 11 are rows like the calls, raw bytes included.
        var stored = await Helpers.RowsAsync(db.DataSource, """
            SELECT type, record FROM scope.events WHERE machine_id = @m AND pid = @p AND type IN (10, 11) ORDER BY event_index
            """, ("m", machine), ("p", (int)pid));
        Assert.Equal(new object?[] { (short)11, (short)10 }, stored.Select(r => r[0]));
        Assert.Equal(firstRecords[1], (byte[])stored[0][1]!);
        Assert.Equal(firstRecords[2], (byte[])stored[1][1]!);

        var replay = new List<StoredProcessRecord>();
        await foreach (var r in new ScopeReadStore(db.DataSource).ReadGrainRecordsAsync(machine, (int)pid, start))
            replay.Add(r);
        // This process's exit and CUDA records only: not its syscalls or counts, not the other process's call.
        Assert.Equal(
            new[] { firstRecords[1], firstRecords[2], firstRecords[3], firstRecords[4], secondRecords[0], secondRecords[1] },
            replay.Select(r => r.Record.ToArray()));
        Assert.Equal(new ulong[] { 7, 7, 7, 7, 3, 3 }, replay.Select(r => r.Instance));
        Assert.Equal(new ulong[] { 1, 2, 3, 4, 100, 101 }, replay.Select(r => r.EventIndex));
        Assert.All(replay, r => Assert.Equal("c1", r.CollectorId));
        // Whole milliseconds are exact in the stored microseconds, so the clock offset comes back exactly.
        var offset = (wall.ToUnixTimeMilliseconds() * 1_000_000) - (long)Run.Boot;
        Assert.All(replay, r => Assert.Equal(offset, r.UnixOffsetNs));

        var none = new ScopeReadStore(db.DataSource).ReadGrainRecordsAsync(machine, (int)pid, start + 1);
        await foreach (var _ in none)
            Assert.Fail("a process with the same pid and another start time has no records");
    }

    [Fact]
    public async Task Cuda_metrics_samples_become_one_row_per_device()
    {
        using var writer = new CudaMetricsWriter(db.DataSource, NullLogger<CudaMetricsWriter>.Instance);
        await writer.StartAsync(default);
        var machine = Helpers.NewMachine("metrics");
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddSeconds(-30).ToUnixTimeMilliseconds());
        long Ns(DateTimeOffset t) => t.ToUnixTimeMilliseconds() * 1_000_000;
        writer.Enqueue(new CudaMetricsSample(machine, 77, 0x8000_0000_0000_0001, Ns(at),
            [new CudaDeviceInfo(0, 3 << 20, 6 << 20, Ns(at), 3, 2), new CudaDeviceInfo(1, 512, 1024, Ns(at), 1, 0)],
            4096, 9, 2, 1, 8192, 1000, 512, 2, Final: false));
        writer.Enqueue(new CudaMetricsSample(machine, 77, 0x8000_0000_0000_0001, Ns(at.AddSeconds(10)),
            [], 0, 12, 5, 1, 8192, 1000, 512, 0, Final: true));
        await Helpers.EventuallyAsync(() => Task.FromResult(writer.SamplesWritten == 2), "both samples to be written");
        await writer.StopAsync(default);

        var rows = await Helpers.RowsAsync(db.DataSource, """
            SELECT time, pid, start_ns, device, current_bytes, peak_bytes, host_pinned_bytes, operations, launches, errors,
                   h2d_bytes, d2h_bytes, d2d_bytes, live_allocations, final
            FROM scope.cuda_metrics WHERE machine_id = @m ORDER BY time, device
            """, ("m", machine));
        Assert.Equal(3, rows.Count);
        Assert.Equal(new object?[] { at.UtcDateTime, 77, unchecked((long)0x8000_0000_0000_0001), 0, 3L << 20, 6L << 20, 4096L, 9L, 2L, 1L, 8192L, 1000L, 512L, 2L, false }, rows[0]);
        Assert.Equal(new object?[] { 1, 512L, 1024L, 4096L, 9L }, rows[1][3..8]);
        // A sample with no device memory still keeps its process counters, on device -1.
        Assert.Equal(new object?[] { at.AddSeconds(10).UtcDateTime, -1, 0L, 0L, 12L, 5L, true }, new[] { rows[2][0], rows[2][3], rows[2][4], rows[2][5], rows[2][7], rows[2][8], rows[2][14] });
        Assert.Equal(0, writer.SamplesDropped);
    }

    [Fact]
    public async Task Cuda_metrics_past_retention_are_deleted_with_the_partitions()
    {
        var machine = Helpers.NewMachine("oldmetrics");
        var now = DateTimeOffset.UtcNow;
        foreach (var (time, pid) in new[] { (now.AddDays(-9), 1), (now.AddDays(-1), 2) })
        {
            await using var cmd = db.DataSource.CreateCommand("""
                INSERT INTO scope.cuda_metrics (time, machine_id, pid, start_ns, device, current_bytes, peak_bytes, host_pinned_bytes,
                    operations, launches, errors, h2d_bytes, d2h_bytes, d2d_bytes, live_allocations)
                VALUES (@t, @m, @p, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                """);
            cmd.Parameters.AddWithValue("t", time.UtcDateTime);
            cmd.Parameters.AddWithValue("m", machine);
            cmd.Parameters.AddWithValue("p", pid);
            await cmd.ExecuteNonQueryAsync();
        }
        await Helpers.Maintainer(db.DataSource, retentionDays: 7).RunOnceAsync(now, default);
        var left = await Helpers.RowsAsync(db.DataSource, "SELECT pid FROM scope.cuda_metrics WHERE machine_id = @m", ("m", machine));
        Assert.Equal(new object?[] { 2 }, left.Select(r => r[0]));
    }
}
