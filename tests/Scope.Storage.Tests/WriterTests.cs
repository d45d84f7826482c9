using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using Scope.Silo.Storage;

namespace Scope.Storage.Tests;

[Collection(PostgresGroup.Name)]
public sealed class WriterTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
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

    private async Task WriteAsync(params Scope.Abstractions.EventBatch[] batches)
    {
        foreach (var b in batches)
            Assert.True(await _writer.EnqueueAsync(b, default));
        await Helpers.DrainAsync(_writer);
    }

    [Fact]
    public async Task A_batch_becomes_events_processes_stats_and_collector_accounting()
    {
        var run = new Run(Helpers.NewMachine("one"));
        const ulong parentStart = Run.Boot - 1_000_000_000, childStart = Run.Boot + 5_000_000;
        var records = new List<byte[]>
        {
            Records.Fork(Run.At(5), parentStart, 100, "bash", 1, 200, childStart),
            Records.Exec(Run.At(6), childStart, 200, "ls", 100, 1000, 0xFFFF_FFFF_0000_0001, "/usr/bin/ls", "ls", "-l", "/tmp dir"),
            Records.Syscall(Run.At(7), childStart, 200, 201, "ls", 0, -2, 1500),
            Records.SyscallData(Run.At(8), childStart, 200, "ls", 257, 3, 2500, "/etc/passwd"),
            Records.Counts(Run.At(9), childStart, 200, "ls", false, (0, 10, 2, 1000), (257, 4, 0, 9000)),
            Records.Hist(Run.At(9), childStart, 200, "ls", 0, false, Enumerable.Range(0, 96).Select(i => i == 95 ? 0xFFFF_FFF0u : (uint)i).ToArray()),
            Records.Exit(Run.At(10), childStart, 200, "ls", 2, 0, ppid: 1, cgroup: 0xFFFF_FFFF_0000_0001), // reparented to init by now
        };
        var batch = run.Batch(records);
        await WriteAsync(batch);

        // Events: the five type 1-5 records, in order, decoded.
        var events = await Helpers.RowsAsync(db.DataSource, """
            SELECT time, ts_ns, collector_id, instance, event_index, pid, tid, start_ns, comm, type, nr, ret, dur_ns, record
            FROM scope.events WHERE machine_id = @m ORDER BY event_index
            """, ("m", run.MachineId));
        Assert.Equal(new short[] { 2, 1, 4, 5, 3 }, events.Select(e => (short)e[9]!));
        Assert.Equal(new long[] { 0, 1, 2, 3, 6 }, events.Select(e => (long)e[4]!));
        Assert.All(events, e => Assert.Equal(unchecked((long)run.Instance), e[3]));
        Assert.All(events, e => Assert.Equal("c1", e[2]));
        var sc = events[2];
        Assert.Equal(run.WallOf(Run.At(7)).UtcDateTime, (DateTime)sc[0]!);
        Assert.Equal((long)Run.At(7), sc[1]);
        Assert.Equal(200, sc[5]);
        Assert.Equal(201, sc[6]);
        Assert.Equal((long)childStart, sc[7]);
        Assert.Equal("ls", sc[8]);
        Assert.Equal((short)0, sc[10]);
        Assert.Equal(-2L, sc[11]);
        Assert.Equal(1500L, sc[12]);
        Assert.Equal(records[2], (byte[])sc[13]!);
        Assert.Equal((short)257, events[3][10]);
        Assert.Equal(records[3], (byte[])events[3][13]!);
        Assert.Null(events[0][10]);
        Assert.Null(events[0][11]);
        Assert.Equal("bash", events[0][8]);

        // Processes: the child from fork + exec + exit, the parent from fork.
        var store = new ScopeReadStore(db.DataSource);
        var child = await store.GetProcessAsync(run.MachineId, 200, childStart);
        Assert.NotNull(child);
        Assert.Equal("ls", child.Comm);
        Assert.Equal(100, child.Ppid);
        Assert.Equal(1000L, child.Uid);
        Assert.Equal(0xFFFF_FFFF_0000_0001UL, child.CgroupId);
        Assert.Equal("/usr/bin/ls", child.Filename);
        Assert.Equal(["ls", "-l", "/tmp dir"], child.Argv);
        Assert.Equal(run.WallOf(childStart), child.StartTime);
        Assert.Equal(run.WallOf(Run.At(10)), child.ExitTime);
        Assert.Equal(2, child.ExitCode);
        Assert.Equal(0, child.Signal);
        Assert.Equal(run.WallOf(Run.At(5)), child.FirstSeen);
        Assert.Equal(run.WallOf(Run.At(10)), child.LastSeen);

        var parent = await store.GetProcessAsync(run.MachineId, 100, parentStart);
        Assert.NotNull(parent);
        Assert.Equal("bash", parent.Comm);
        Assert.Equal(1, parent.Ppid);
        Assert.Equal(run.WallOf(parentStart), parent.StartTime);
        Assert.Null(parent.ExitTime);
        Assert.Null(parent.Argv);

        // Syscall stats from counts and hist.
        var stats = await store.GetSyscallsAsync(run.MachineId, 200, childStart);
        Assert.Equal([0, 257], stats.Select(s => s.Nr));
        Assert.Equal((10L, 2L, 1000L), (stats[0].Count, stats[0].Errors, stats[0].TotalNs));
        Assert.Equal(96, stats[0].Hist!.Count);
        Assert.Equal(0xFFFF_FFF0u, stats[0].Hist![95]);
        Assert.Equal(7u, stats[0].Hist![7]);
        Assert.Null(stats[1].Hist);
        Assert.False(stats[0].Final);

        // Collector accounting: every record counts as persisted, types 6 and 7 included.
        var c = (await Helpers.RowsAsync(db.DataSource, """
            SELECT last_sequence, next_event, persisted_events, gap_events, persist_drops, state, final, version, task_id
            FROM scope.collectors WHERE machine_id = @m
            """, ("m", run.MachineId))).Single();
        Assert.Equal(new object?[] { 1L, 7L, 7L, 0L, 0L, "running", false, "1.2.3", "task-c1" }, c);
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM scope.machines WHERE id = @m", ("m", run.MachineId)));
        Assert.Equal(7, _writer.RecordsWritten);
    }

    [Fact]
    public async Task Cumulative_syscall_stats_never_go_back_and_final_sticks()
    {
        var run = new Run(Helpers.NewMachine("stats"));
        const ulong start = Run.Boot;
        var hist1 = new uint[96];
        hist1[3] = 5;
        await WriteAsync(run.Batch([
            Records.Counts(Run.At(1), start, 300, "app", false, (1, 100, 1, 5000), (2, 7, 0, 70)),
            Records.Hist(Run.At(1), start, 300, "app", 1, false, hist1),
        ]));

        // A later snapshot with more, then a stale (smaller) one, then the final one.
        var hist2 = new uint[96];
        hist2[3] = 9;
        hist2[4] = 1;
        await WriteAsync(run.Batch([
            Records.Counts(Run.At(2), start, 300, "app", true, (1, 150, 3, 8000)),
            Records.Hist(Run.At(2), start, 300, "app", 1, true, hist2),
        ]));
        await WriteAsync(run.Batch([
            Records.Counts(Run.At(3), start, 300, "app", false, (1, 120, 2, 6000), (2, 3, 0, 30)),
            Records.Hist(Run.At(3), start, 300, "app", 1, false, hist1),
        ]));

        var stats = await new ScopeReadStore(db.DataSource).GetSyscallsAsync(run.MachineId, 300, start);
        Assert.Equal((1, 150L, 3L, 8000L, true), (stats[0].Nr, stats[0].Count, stats[0].Errors, stats[0].TotalNs, stats[0].Final));
        Assert.Equal(9u, stats[0].Hist![3]);
        Assert.Equal(1u, stats[0].Hist![4]);
        Assert.Equal((2, 7L, false), (stats[1].Nr, stats[1].Count, stats[1].Final));
        Assert.Equal(0L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM scope.events WHERE machine_id = @m", ("m", run.MachineId)));
    }

    [Fact]
    public async Task Accounting_identity_holds_across_batches_with_gaps_and_several_collectors()
    {
        var machine = Helpers.NewMachine("identity");
        var a = new Run(machine, "a");
        var b = new Run(machine, "b");
        var rnd = new Random(7);
        var batches = new List<Scope.Abstractions.EventBatch>();
        for (int n = 0; n < 12; n++)
        {
            var run = n % 3 == 0 ? b : a;
            var records = Enumerable.Range(0, rnd.Next(1, 40))
                .Select(i => i % 5 == 4
                    ? Records.Counts(Run.At(n * 10 + i), Run.Boot, 42, "w", false, (0, (ulong)(n * 100 + i), 0, 0))
                    : Records.Syscall(Run.At(n * 10 + i), Run.Boot, 42, 43, "w", 1, 1, 10))
                .ToList();
            run.SendDrops += (ulong)rnd.Next(0, 3);
            run.KernelDrops[1] += (ulong)rnd.Next(0, 3);
            batches.Add(run.Batch(records, lostBefore: (ulong)(n % 4 == 1 ? rnd.Next(1, 50) : 0), final: n == 11));
        }
        await WriteAsync([.. batches]);

        foreach (var run in new[] { a, b })
        {
            var row = (await Helpers.RowsAsync(db.DataSource, """
                SELECT next_event, persisted_events, gap_events, persist_drops, send_drops, kernel_drops, last_sequence, state
                FROM scope.collectors WHERE machine_id = @m AND collector_id = @c
                """, ("m", machine), ("c", run.CollectorId))).Single();
            var mine = batches.Where(x => x.CollectorId == run.CollectorId).ToList();
            Assert.Equal((long)run.NextEvent, row[0]);
            Assert.Equal(mine.Sum(x => (long)x.RecordCount), row[1]);
            Assert.Equal(mine.Sum(x => (long)x.GapBefore), row[2]);
            Assert.Equal((long)row[0]!, (long)row[1]! + (long)row[2]! + (long)row[3]!);
            Assert.Equal((long)run.SendDrops, row[4]);
            Assert.Equal(run.KernelDrops.Select(k => (long)k), (long[])row[5]!);
            Assert.Equal((long)run.Sequence, row[6]);
            Assert.Equal(run == a ? "stopped" : "running", row[7]);
            // Syscall records are events; counts are not.
            var syscalls = mine.Sum(x => x.RecordCount - (x.RecordCount / 5));
            Assert.Equal((long)syscalls, await Helpers.ScalarAsync<long>(db.DataSource,
                "SELECT count(*) FROM scope.events WHERE machine_id = @m AND collector_id = @c", ("m", machine), ("c", run.CollectorId)));
        }

        var watermark = await _writer.GetWatermarkAsync(machine, "a", a.Instance, default);
        Assert.Equal(new CollectorWatermark(a.NextEvent, a.SendDrops, a.Sequence), watermark);
        Assert.Null(await _writer.GetWatermarkAsync(machine, "nope", 1, default));
    }

    [Fact]
    public async Task A_batch_delivered_twice_is_written_once()
    {
        var run = new Run(Helpers.NewMachine("dupe"));
        var batch = run.Batch([Records.Syscall(Run.At(1), Run.Boot, 9, 9, "d", 0, 0, 1)]);
        await WriteAsync(batch);
        await WriteAsync(batch);
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM scope.events WHERE machine_id = @m", ("m", run.MachineId)));
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT persisted_events FROM scope.collectors WHERE machine_id = @m", ("m", run.MachineId)));
    }

    [Fact]
    public async Task State_changes_apply_after_the_batches_queued_before_them()
    {
        var run = new Run(Helpers.NewMachine("mark"));
        Assert.True(await _writer.EnqueueAsync(run.Batch([Records.Syscall(Run.At(1), Run.Boot, 9, 9, "d", 0, 0, 1)]), default));
        await _writer.MarkCollectorAsync(run.MachineId, run.CollectorId, run.Instance, "lost", default);
        Assert.Equal("lost", await Helpers.ScalarAsync<string>(db.DataSource, "SELECT state FROM scope.collectors WHERE machine_id = @m", ("m", run.MachineId)));

        // A run that never sent anything still gets its row.
        await _writer.MarkCollectorAsync(run.MachineId, "silent", 5, "exited", default);
        Assert.Equal("exited", await Helpers.ScalarAsync<string>(db.DataSource, "SELECT state FROM scope.collectors WHERE machine_id = @m AND collector_id = 'silent'", ("m", run.MachineId)));
    }

    [Fact]
    public async Task Machines_merge_hostname_and_versions()
    {
        var id = Helpers.NewMachine("host");
        await _writer.UpsertMachineAsync(id, "box-1", new Dictionary<string, string> { ["kernel"] = "6.1", ["collector"] = "1.0" }, default);
        await _writer.UpsertMachineAsync(id, null, new Dictionary<string, string> { ["collector"] = "1.1" }, default);
        var m = (await new ScopeReadStore(db.DataSource).ListMachinesAsync()).Single(x => x.Id == id);
        Assert.Equal("box-1", m.Hostname);
        Assert.Equal("6.1", m.Versions["kernel"]);
        Assert.Equal("1.1", m.Versions["collector"]);
    }

    [Fact]
    public async Task Metrics_are_published_on_the_Scope_Silo_meter()
    {
        long rows = 0;
        long? queueBytes = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Scope.Silo" && instrument.Name.StartsWith("scope.storage.", StringComparison.Ordinal))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "scope.storage.rows_written")
                Interlocked.Add(ref rows, value);
            else if (instrument.Name == "scope.storage.queue_bytes")
                queueBytes = value;
        });
        listener.Start();

        var run = new Run(Helpers.NewMachine("metrics"));
        await WriteAsync(run.Batch([Records.Syscall(Run.At(1), Run.Boot, 9, 9, "d", 0, 0, 1), Records.Syscall(Run.At(2), Run.Boot, 9, 9, "d", 0, 0, 1)]));
        listener.RecordObservableInstruments();
        Assert.True(Interlocked.Read(ref rows) >= 2);
        Assert.Equal(0, queueBytes);
    }

    [Fact]
    public async Task Truncated_payloads_keep_the_records_that_frame()
    {
        var run = new Run(Helpers.NewMachine("trunc"));
        var good = Records.Syscall(Run.At(1), Run.Boot, 9, 9, "d", 0, 0, 1);
        var bad = Records.Syscall(Run.At(2), Run.Boot, 9, 9, "d", 0, 0, 1);
        BinaryPrimitives.WriteUInt16LittleEndian(bad.AsSpan(2), 0); // size 0: cannot be framed
        await WriteAsync(run.Batch([good, bad]));
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM scope.events WHERE machine_id = @m", ("m", run.MachineId)));
        // Accounting follows the batch header: both records reached storage.
        Assert.Equal(2L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT persisted_events FROM scope.collectors WHERE machine_id = @m", ("m", run.MachineId)));
    }
}

[Collection(PostgresGroup.Name)]
public sealed class PoisonTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_batch_PostgreSQL_refuses_is_dropped_and_accounted_and_the_rest_is_written()
    {
        // Stands in for any data PostgreSQL rejects (SQLSTATE class 22).
        await Helpers.ExecAsync(db.DataSource, """
            CREATE FUNCTION scope.test_refuse() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN IF NEW.comm = 'poison' THEN RAISE EXCEPTION 'refused' USING ERRCODE = '22023'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER test_refuse BEFORE INSERT ON scope.events FOR EACH ROW EXECUTE FUNCTION scope.test_refuse();
            """);
        using var writer = Helpers.Writer(db.DataSource, flushIntervalMs: 300);
        await writer.StartAsync(default);
        var run = new Run(Helpers.NewMachine("poison"));
        var ok1 = run.Batch([Records.Syscall(Run.At(1), Run.Boot, 1, 1, "fine", 0, 0, 0)]);
        var bad = run.Batch([Records.Syscall(Run.At(2), Run.Boot, 1, 1, "poison", 0, 0, 0), Records.Syscall(Run.At(3), Run.Boot, 1, 1, "fine", 0, 0, 0)]);
        var ok2 = run.Batch([Records.Syscall(Run.At(4), Run.Boot, 1, 1, "fine", 0, 0, 0)]);
        // Queued together, so they share a transaction that fails as a whole.
        foreach (var b in new[] { ok1, bad, ok2 })
            Assert.True(await writer.EnqueueAsync(b, default));
        await Helpers.EventuallyAsync(async () => await Helpers.ScalarAsync<long>(db.DataSource,
            "SELECT coalesce((SELECT persist_drops FROM scope.collectors WHERE machine_id = @m), -1)", ("m", run.MachineId)) == 2, "the refused batch's accounting");
        await writer.StopAsync(default);

        var indexes = await Helpers.RowsAsync(db.DataSource, "SELECT event_index FROM scope.events WHERE machine_id = @m ORDER BY 1", ("m", run.MachineId));
        Assert.Equal(new object?[] { 0L, 3L }, indexes.Select(r => r[0]));
        var c = (await Helpers.RowsAsync(db.DataSource, "SELECT last_sequence, next_event, persisted_events, gap_events, persist_drops FROM scope.collectors WHERE machine_id = @m",
            ("m", run.MachineId))).Single();
        Assert.Equal(new object?[] { 3L, 4L, 2L, 0L, 2L }, c);
        Assert.Equal(2L, await Helpers.ScalarAsync<long>(db.DataSource, "SELECT count(*) FROM scope.events WHERE machine_id = @m", ("m", run.MachineId)));
        Assert.Equal(2, writer.RecordsDropped);
    }
}
