using Scope.Abstractions;
using Scope.Silo.Storage;

namespace Scope.Storage.Tests;

[Collection(PostgresGroup.Name)]
public sealed class ReadStoreTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private ScopeReadStore Store => new(db.DataSource);

    private async Task WriteAsync(IEnumerable<EventBatch> batches)
    {
        using var writer = Helpers.Writer(db.DataSource, maxBatchRecords: 100);
        await writer.StartAsync(default);
        foreach (var b in batches)
            Assert.True(await writer.EnqueueAsync(b, default));
        await Helpers.DrainAsync(writer);
        await writer.StopAsync(default);
    }

    [Fact]
    public async Task Cursor_pagination_walks_every_row_once_in_order_under_every_filter()
    {
        var machine = Helpers.NewMachine("pages");
        var wall = DateTimeOffset.UtcNow.AddMinutes(-5);
        // Two runs on one clock: equal times tie-break on instance (one negative as stored), then event index.
        var r1 = new Run(machine, "c1", instance: 0x9000_0000_0000_0001, wallAtBoot: wall);
        var r2 = new Run(machine, "c2", instance: 5, wallAtBoot: wall);
        var other = new Run(Helpers.NewMachine("other"), wallAtBoot: wall);
        var batches = new List<EventBatch>();
        var pids = new uint[] { 10, 11, 12 };
        for (int n = 0; n < 6; n++)
        {
            foreach (var run in new[] { r1, r2 })
            {
                var records = new List<byte[]>();
                for (int i = 0; i < 20; i++)
                {
                    uint pid = pids[i % 3];
                    // Several records share a millisecond, so times tie within and across runs.
                    ulong ts = Run.At((n * 20) + (i / 4));
                    records.Add(i % 7 == 6
                        ? Records.SyscallData(ts, Run.Boot + pid, pid, "p" + pid, 257, 3, 10, "/x")
                        : Records.Syscall(ts, Run.Boot + pid, pid, pid, "p" + pid, (uint)i, i, 10));
                }
                batches.Add(run.Batch(records));
            }
        }
        batches.Add(other.Batch([Records.Syscall(Run.At(1), Run.Boot, 10, 10, "x", 0, 0, 0)]));
        await WriteAsync(batches);

        var all = await WalkAsync(new EventQuery(MachineId: machine, Limit: 7));
        Assert.Equal(240, all.Count);
        AssertOrderedAndUnique(all);
        Assert.All(all, e => Assert.Equal(machine, e.MachineId));

        // A single page when the limit covers everything (and limits are capped, not refused).
        var big = await Store.ListEventsAsync(new EventQuery(MachineId: machine, Limit: 5000));
        Assert.Equal(240, big.Rows.Count);
        Assert.Null(big.NextCursor);
        Assert.Equal(all.Select(Key), big.Rows.Select(Key));

        var byPid = await WalkAsync(new EventQuery(MachineId: machine, Pid: 11, StartNs: Run.Boot + 11, Limit: 9));
        Assert.Equal(all.Where(e => e.Pid == 11).Select(Key), byPid.Select(Key));
        Assert.Empty((await Store.ListEventsAsync(new EventQuery(MachineId: machine, Pid: 11, StartNs: Run.Boot + 12))).Rows);

        var byType = await WalkAsync(new EventQuery(MachineId: machine, Type: 5, Limit: 4));
        Assert.Equal(all.Where(e => e.Type == 5).Select(Key), byType.Select(Key));
        Assert.All(byType, e => Assert.Equal(384, e.Record.Length));

        var from = all[50].Time;
        var to = all[150].Time;
        var window = await WalkAsync(new EventQuery(MachineId: machine, From: from, To: to, Limit: 11));
        Assert.Equal(all.Where(e => e.Time >= from && e.Time < to).Select(Key), window.Select(Key));

        // Every machine, unfiltered: this machine's rows plus the other's, still each once.
        var everything = await WalkAsync(new EventQuery(Limit: 50));
        AssertOrderedAndUnique(everything);
        Assert.Equal(all.Select(Key), everything.Where(e => e.MachineId == machine).Select(Key));
        Assert.Contains(everything, e => e.MachineId == other.MachineId);

        await Assert.ThrowsAsync<FormatException>(() => Store.ListEventsAsync(new EventQuery(Cursor: "not-a-cursor")));
        await Assert.ThrowsAsync<FormatException>(() => Store.ListEventsAsync(new EventQuery(Cursor: "AQID")));
    }

    private static (DateTimeOffset, long, ulong) Key(EventRow e) => (e.Time, unchecked((long)e.Instance), e.EventIndex);

    private static void AssertOrderedAndUnique(List<EventRow> rows)
    {
        for (int i = 1; i < rows.Count; i++)
            Assert.True(Key(rows[i - 1]).CompareTo(Key(rows[i])) < 0, $"rows {i - 1} and {i} out of order");
    }

    private async Task<List<EventRow>> WalkAsync(EventQuery query)
    {
        var rows = new List<EventRow>();
        string? cursor = null;
        for (int pages = 0; pages < 1000; pages++)
        {
            var page = await Store.ListEventsAsync(query with { Cursor = cursor });
            Assert.True(page.Rows.Count <= query.Limit);
            rows.AddRange(page.Rows);
            if (page.NextCursor is null)
                return rows;
            Assert.Equal(query.Limit, page.Rows.Count);
            Assert.DoesNotContain('+', page.NextCursor);
            Assert.DoesNotContain('/', page.NextCursor);
            Assert.DoesNotContain('=', page.NextCursor);
            cursor = page.NextCursor;
        }
        throw new InvalidOperationException("pagination did not end");
    }

    [Fact]
    public async Task Processes_filter_by_machine_pid_comm_and_lifetime_newest_first()
    {
        var machine = Helpers.NewMachine("procs");
        var wall = DateTimeOffset.UtcNow.AddHours(-1);
        var run = new Run(machine, wallAtBoot: wall);
        // Three processes of increasing start: one that exited at 10 s, two still running.
        ulong s1 = Run.At(1_000), s2 = Run.At(20_000), s3 = Run.At(30_000);
        await WriteAsync([run.Batch([
            Records.Exec(Run.At(1_000), s1, 501, "early", 1, 0, 1, "/bin/early", "early"),
            Records.Exit(Run.At(10_000), s1, 501, "early", 0, 9),
            Records.Exec(Run.At(20_000), s2, 502, "web", 1, 33, 1, "/bin/web", "web", "--port", "80"),
            Records.Exec(Run.At(30_000), s3, 503, "web", 1, 33, 1, "/bin/web", "web"),
            Records.Syscall(Run.At(40_000), s2, 502, 502, "web", 0, 0, 0),
        ])]);

        var list = await Store.ListProcessesAsync(new ProcessQuery(MachineId: machine));
        Assert.Equal([503, 502, 501], list.Select(p => p.Pid));
        Assert.Equal(9, list[2].Signal);

        Assert.Equal([503, 502], (await Store.ListProcessesAsync(new ProcessQuery(MachineId: machine, Comm: "web"))).Select(p => p.Pid));
        Assert.Equal([502], (await Store.ListProcessesAsync(new ProcessQuery(MachineId: machine, Pid: 502))).Select(p => p.Pid));
        Assert.Equal([503], (await Store.ListProcessesAsync(new ProcessQuery(MachineId: machine, Comm: "web", Limit: 1))).Select(p => p.Pid));

        // Alive during [15 s, 25 s]: 502 started at 20 s; 501 had exited at 10 s; 503 had not started.
        var during = await Store.ListProcessesAsync(new ProcessQuery(MachineId: machine, From: run.WallOf(Run.At(15_000)), To: run.WallOf(Run.At(25_000))));
        Assert.Equal([502], during.Select(p => p.Pid));
        // Alive at 5 s: only 501.
        var early = await Store.ListProcessesAsync(new ProcessQuery(MachineId: machine, From: run.WallOf(Run.At(5_000)), To: run.WallOf(Run.At(5_000))));
        Assert.Equal([501], early.Select(p => p.Pid));

        Assert.Null(await Store.GetProcessAsync(machine, 502, s3));
        Assert.Equal(["web", "--port", "80"], (await Store.GetProcessAsync(machine, 502, s2))!.Argv);
    }

    [Fact]
    public async Task Machines_list_the_newest_run_per_collector_with_totals_over_runs()
    {
        var machine = Helpers.NewMachine("fleet");
        var old = new Run(machine, "c1", instance: 1);
        old.SendDrops = 5;
        old.KernelDrops[0] = 2;
        var oldBatches = new[] { old.Batch([Records.Syscall(Run.At(1), Run.Boot, 1, 1, "a", 0, 0, 0)]), old.Batch([Records.Syscall(Run.At(2), Run.Boot, 1, 1, "a", 0, 0, 0)], lostBefore: 4, final: true) };
        await WriteAsync(oldBatches);
        await Task.Delay(20); // the new run must be seen later
        var now = new Run(machine, "c1", instance: 0xF000_0000_0000_0000);
        now.SendDrops = 1;
        now.KernelDrops[2] = 3;
        await WriteAsync([now.Batch([Records.Syscall(Run.At(3), Run.Boot, 1, 1, "a", 0, 0, 0)])]);
        var other = new Run(machine, "c2");
        await WriteAsync([other.Batch([Records.Syscall(Run.At(3), Run.Boot, 1, 1, "a", 0, 0, 0)])]);

        var m = (await Store.ListMachinesAsync()).Single(x => x.Id == machine);
        Assert.Equal(["c1", "c2"], m.Collectors.Select(c => c.CollectorId));
        var c1 = m.Collectors[0];
        Assert.Equal(0xF000_0000_0000_0000UL, c1.Instance);
        Assert.Equal("running", c1.State);
        Assert.Equal(2, c1.Instances);
        Assert.Equal(3, c1.PersistedEvents);
        Assert.Equal(4, c1.GapEvents);
        Assert.Equal(0, c1.PersistDrops);
        Assert.Equal(6, c1.SendDrops);
        Assert.Equal(5, c1.KernelDrops);
        Assert.Equal([2L, 0L, 3L], c1.KernelDropsByReason);
        Assert.Equal("1.2.3", c1.Version);
        Assert.Equal("task-c1", c1.TaskId);
        Assert.True(await Store.PingAsync(default));
    }
}
