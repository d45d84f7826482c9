using Scope.Silo.Storage;

namespace Scope.Storage.Tests;

/// <summary>Python samples and code names become scope.events rows, raw bytes included, and the type filter finds them.</summary>
[Collection(PostgresGroup.Name)]
public sealed class PythonStorageTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
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

    [Fact]
    public async Task Samples_and_code_names_are_stored_with_null_syscall_columns()
    {
        var run = new Run(Helpers.NewMachine("python"));
        const uint pid = 7070, tid = 7071;
        const ulong start = Run.Boot + 70;
        const ulong hot = 0x7f00aa001000, main = 0x7f00aa002000;
        var records = new List<byte[]>
        {
            Records.Syscall(Run.At(1), start, pid, tid, "python3.12", 0, 5, 100),
            Records.PythonCode(Run.At(2), start, pid, "python3.12", hot, 3, "Worker.hot", "/srv/app/hotwarm.py"),
            Records.PythonSample(Run.At(2), start, pid, tid, "python3.12", [(hot, 23, 6), (main, -1, 0)], 0x5e9b4c, 0x4fb383),
            // A type this silo does not know: counted, not stored.
            Records.Header(200, 64, Run.At(3), start, pid, tid, "python3.12"),
        };
        Assert.True(await _writer.EnqueueAsync(run.Batch(records), default));
        await Helpers.DrainAsync(_writer);

        var rows = await Helpers.RowsAsync(db.DataSource, """
            SELECT type, event_index, tid, nr, ret, dur_ns, record FROM scope.events WHERE machine_id = @m ORDER BY event_index
            """, ("m", run.MachineId));
        Assert.Equal(new object?[] { (short)4, (short)13, (short)12 }, rows.Select(r => r[0]));
        Assert.Equal(new object?[] { 0L, 1L, 2L }, rows.Select(r => r[1]));
        Assert.Equal((int)tid, rows[2][2]);
        foreach (var python in rows.Skip(1))
            Assert.Equal(new object?[] { null, null, null }, python[3..6]);
        Assert.Equal(records[1], (byte[])rows[1][6]!);
        Assert.Equal(records[2], (byte[])rows[2][6]!);

        // The events API's type filter (python_sample = 12, python_code = 13) reads them back.
        var store = new ScopeReadStore(db.DataSource);
        var samples = await store.ListEventsAsync(new EventQuery(MachineId: run.MachineId, Type: 12));
        var sample = Assert.Single(samples.Rows);
        Assert.Equal((pid, start, "python3.12"), ((uint)sample.Pid, sample.StartNs, sample.Comm));
        Assert.Equal(records[2], sample.Record.ToArray());
        var codes = await store.ListEventsAsync(new EventQuery(MachineId: run.MachineId, Pid: (int)pid, StartNs: start, Type: 13));
        Assert.Equal(records[1], Assert.Single(codes.Rows).Record.ToArray());
    }
}
