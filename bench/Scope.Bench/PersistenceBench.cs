using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Scope.Abstractions;
using Scope.Silo.Storage;

namespace Scope.Bench;

/// <summary>
/// SCOPE's PersistenceWriter against the least a writer of the same rows could do: one plain
/// binary COPY of exactly the same columns and values into scope.events.
/// </summary>
internal static class PersistenceBench
{
    private const int BatchRecords = 2000;
    private const int RecordSize = 120;
    private const int Pids = 4;
    private const double Goal = 0.8;
    private const string MachineId = "bench-persist";
    private const string CollectorId = "bench";

    private const string CopyEvents =
        "COPY scope.events (time, ts_ns, machine_id, collector_id, instance, event_index, pid, tid, start_ns, comm, type, nr, ret, dur_ns, record) FROM STDIN (FORMAT BINARY)";

    private sealed record Run(string Method, int Round, long Rows, double Seconds, double BenchCpu, double OtherCpu)
    {
        public double RowsPerSecond => Rows / Seconds;
    }

    public static async Task<string> RunAsync(PgServer pg, long rows, int rounds)
    {
        var options = Options.Create(new StorageOptions { ConnectionString = pg.ConnectionString });
        await using var dataSource = NpgsqlDataSource.Create(pg.ConnectionString);
        var migrator = new Migrator(dataSource, NullLogger<Migrator>.Instance);
        await migrator.MigrateAsync(CancellationToken.None);
        // Today's partition (and its neighbours), as the silo's maintainer makes them at start.
        var maintainer = new PartitionMaintainer(dataSource, options, NullLogger<PartitionMaintainer>.Instance, migrator: migrator);
        await maintainer.RunOnceAsync(DateTimeOffset.UtcNow, CancellationToken.None);

        var batches = Generate(rows);
        int chunk = options.Value.MaxBatchRecords;
        // Warm-up, full size, once each: the JIT, and PostgreSQL's first WAL segments (created and
        // zero-filled on first use, recycled afterwards), which would slow whichever ran first.
        Console.Error.WriteLine($"persistence: {rows} rows in {batches.Count} batches; warm-up");
        await TruncateAsync(dataSource);
        await PlainCopyAsync(dataSource, batches, 1, chunk);
        await TruncateAsync(dataSource);
        await WriterAsync(dataSource, options, batches);

        var idle = await Quiet.WaitAsync(TimeSpan.FromMinutes(20), () => Quiet.OurProcessTree(pg.StateDir));
        var runs = new List<Run>();
        string? mismatch = null;
        (long Count, long SumIndex, long SumRet)? expected = null;
        Dictionary<string, long> otherTables = [];
        for (int round = 1; round <= rounds; round++)
        {
            // Alternating, and which goes first alternates too.
            foreach (var method in round % 2 == 1 ? new[] { "plain", "scope" } : ["scope", "plain"])
            {
                await TruncateAsync(dataSource);
                var instance = (ulong)(round * 2 + (method == "scope" ? 1 : 0));
                var these = batches.Select(b => b with { Instance = instance }).ToList();
                double cpu0 = Cpu.ProcessSeconds(Environment.ProcessId), busy0 = Cpu.MachineBusySeconds();
                var sw = Stopwatch.StartNew();
                if (method == "plain")
                    await PlainCopyAsync(dataSource, these, instance, chunk);
                else
                    await WriterAsync(dataSource, options, these);
                var seconds = sw.Elapsed.TotalSeconds;
                double cpu = Cpu.ProcessSeconds(Environment.ProcessId) - cpu0, busy = Cpu.MachineBusySeconds() - busy0;
                runs.Add(new Run(method, round, rows, seconds, cpu, Math.Max(0, busy - cpu)));
                Console.Error.WriteLine($"persistence: round {round} {method}: {rows / seconds:N0} rows/s");

                // Both must have written the very same rows.
                var check = await CheckAsync(dataSource);
                expected ??= check;
                if (check != expected)
                    mismatch = $"round {round} {method}: {check} instead of {expected}";
                if (method == "scope")
                    otherTables = await OtherTablesAsync(dataSource);
            }
        }
        await TruncateAsync(dataSource);
        return Report(runs, rows, chunk, idle, mismatch, otherTables);
    }

    /// <summary>N syscall records, 120 bytes each as bpf/scope_events.h lays them out, in batches of 2000.</summary>
    private static List<EventBatch> Generate(long rows)
    {
        var now = DateTimeOffset.UtcNow;
        ulong boot = 1_000_000_000_000;   // boot-time ns of the first record
        ulong realtime = (ulong)now.ToUnixTimeMilliseconds() * 1_000_000;
        var comm = Encoding.ASCII.GetBytes("loadgen");
        var list = new List<EventBatch>();
        for (long first = 0, seq = 1; first < rows; first += BatchRecords, seq++)
        {
            int n = (int)Math.Min(BatchRecords, rows - first);
            var payload = new byte[n * RecordSize];
            for (int k = 0; k < n; k++)
            {
                long i = first + k;
                var r = payload.AsSpan(k * RecordSize, RecordSize);
                uint pid = (uint)(100000 + (i % Pids));
                BinaryPrimitives.WriteUInt16LittleEndian(r, WireTypeSyscall);
                BinaryPrimitives.WriteUInt16LittleEndian(r[2..], RecordSize);
                BinaryPrimitives.WriteUInt32LittleEndian(r[4..], (uint)(i % 2));          // cpu
                BinaryPrimitives.WriteUInt64LittleEndian(r[8..], boot + (ulong)i * 1000);  // ts_ns: 1 M events/s
                BinaryPrimitives.WriteUInt64LittleEndian(r[16..], boot - 1_000_000_000 + pid); // start_ns
                BinaryPrimitives.WriteUInt32LittleEndian(r[24..], pid);
                BinaryPrimitives.WriteUInt32LittleEndian(r[28..], pid);
                comm.CopyTo(r[32..]);
                BinaryPrimitives.WriteUInt32LittleEndian(r[48..], (uint)(i % 300));        // nr
                BinaryPrimitives.WriteInt64LittleEndian(r[56..], i);                        // ret
                BinaryPrimitives.WriteUInt64LittleEndian(r[64..], 1000);                    // dur_ns
                for (int a = 0; a < 6; a++)
                    BinaryPrimitives.WriteUInt64LittleEndian(r[(72 + (8 * a))..], (ulong)(i + a));
            }
            list.Add(new EventBatch
            {
                MachineId = MachineId,
                CollectorId = CollectorId,
                Instance = 1,
                Sequence = (ulong)seq,
                FirstEvent = (ulong)first,
                RecordCount = n,
                RealtimeNs = realtime,
                BoottimeNs = boot,
                KernelDrops = [0, 0, 0],
                SendDrops = 0,
                CollectorVersion = "bench",
                TaskId = "bench",
                Final = first + n >= rows,
                ReceivedAt = now,
                Payload = payload,
            });
        }
        return list;
    }

    private const ushort WireTypeSyscall = 4;

    /// <summary>
    /// The minimal writer: per 50,000 records (SCOPE's MaxBatchRecords, so both commit as often), one
    /// binary COPY of the same 15 columns, values decoded from the records at their fixed offsets.
    /// </summary>
    private static async Task PlainCopyAsync(NpgsqlDataSource dataSource, List<EventBatch> batches, ulong instance, int chunk)
    {
        int at = 0;
        while (at < batches.Count)
        {
            await using var conn = await dataSource.OpenConnectionAsync();
            using (var importer = await conn.BeginBinaryImportAsync(CopyEvents))
            {
                long records = 0;
                while (at < batches.Count && (records == 0 || records + batches[at].RecordCount <= chunk))
                {
                    var b = batches[at++];
                    records += b.RecordCount;
                    var payload = b.Payload;
                    for (int off = 0; off < payload.Length; off += RecordSize)
                    {
                        var r = payload.Span.Slice(off, RecordSize);
                        ulong ts = BinaryPrimitives.ReadUInt64LittleEndian(r[8..]);
                        int pid = (int)BinaryPrimitives.ReadUInt32LittleEndian(r[24..]);
                        var comm = r.Slice(32, 16);
                        int nul = comm.IndexOf((byte)0);
                        importer.StartRow();
                        importer.Write(DateTime.UnixEpoch.AddTicks(b.ToUnixNanos(ts) / 1000 * 10), NpgsqlDbType.TimestampTz);
                        importer.Write((long)ts, NpgsqlDbType.Bigint);
                        importer.Write(b.MachineId, NpgsqlDbType.Text);
                        importer.Write(b.CollectorId, NpgsqlDbType.Text);
                        importer.Write(unchecked((long)instance), NpgsqlDbType.Bigint);
                        importer.Write((long)b.FirstEvent + (off / RecordSize), NpgsqlDbType.Bigint);
                        importer.Write(pid, NpgsqlDbType.Integer);
                        importer.Write((int)BinaryPrimitives.ReadUInt32LittleEndian(r[28..]), NpgsqlDbType.Integer);
                        importer.Write((long)BinaryPrimitives.ReadUInt64LittleEndian(r[16..]), NpgsqlDbType.Bigint);
                        importer.Write(Encoding.UTF8.GetString(nul >= 0 ? comm[..nul] : comm), NpgsqlDbType.Text);
                        importer.Write((short)BinaryPrimitives.ReadUInt16LittleEndian(r), NpgsqlDbType.Smallint);
                        importer.Write((short)BinaryPrimitives.ReadUInt32LittleEndian(r[48..]), NpgsqlDbType.Smallint);
                        importer.Write(BinaryPrimitives.ReadInt64LittleEndian(r[56..]), NpgsqlDbType.Bigint);
                        importer.Write((long)BinaryPrimitives.ReadUInt64LittleEndian(r[64..]), NpgsqlDbType.Bigint);
                        importer.Write(payload.Slice(off, RecordSize), NpgsqlDbType.Bytea);
                    }
                }
                await importer.CompleteAsync();
            }
        }
    }

    /// <summary>SCOPE's writer, as the silo runs it: enqueue every batch, wait until all are committed.</summary>
    private static async Task WriterAsync(NpgsqlDataSource dataSource, IOptions<StorageOptions> options, List<EventBatch> batches)
    {
        using var writer = new PersistenceWriter(dataSource, options, NullLogger<PersistenceWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        long total = 0;
        foreach (var b in batches)
        {
            if (!await writer.EnqueueAsync(b, CancellationToken.None))
                throw new InvalidOperationException("the writer dropped a batch: its buffer is too small for this benchmark");
            total += b.RecordCount;
        }
        while (writer.RecordsWritten < total)
            await Task.Delay(1);
        await writer.StopAsync(CancellationToken.None);
    }

    private static async Task TruncateAsync(NpgsqlDataSource dataSource)
    {
        await using var cmd = dataSource.CreateCommand(
            "TRUNCATE scope.events, scope.processes, scope.syscall_stats, scope.collectors, scope.machines");
        await cmd.ExecuteNonQueryAsync();
        await using var cp = dataSource.CreateCommand("CHECKPOINT");
        await cp.ExecuteNonQueryAsync();
    }

    private static async Task<(long, long, long)> CheckAsync(NpgsqlDataSource dataSource)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT count(*), coalesce(sum(event_index), 0)::bigint, coalesce(sum(ret), 0)::bigint FROM scope.events WHERE type = 4 AND time > now() - interval '2 days'");
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    private static async Task<Dictionary<string, long>> OtherTablesAsync(NpgsqlDataSource dataSource)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var t in new[] { "processes", "syscall_stats", "collectors", "machines" })
        {
            await using var cmd = dataSource.CreateCommand($"SELECT count(*) FROM scope.{t}");
            result[t] = (long)(await cmd.ExecuteScalarAsync())!;
        }
        return result;
    }

    private static string Report(List<Run> runs, long rows, int chunk, string idle, string? mismatch, Dictionary<string, long> otherTables)
    {
        double Median(IEnumerable<double> xs)
        {
            var s = xs.OrderBy(x => x).ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
        }
        var plain = runs.Where(r => r.Method == "plain").ToList();
        var scope = runs.Where(r => r.Method == "scope").ToList();
        double plainMed = Median(plain.Select(r => r.RowsPerSecond)), scopeMed = Median(scope.Select(r => r.RowsPerSecond));
        double ratio = scopeMed / plainMed;
        var perRound = plain.Zip(scope, (p, s) => s.RowsPerSecond / p.RowsPerSecond).ToList();

        var sb = new StringBuilder();
        sb.Append("## Persistence: SCOPE's writer against a plain binary COPY\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"""
            The same {rows:N0} syscall records (120 bytes each, laid out as `bpf/scope_events.h` says; 4
            processes; batches of {BatchRecords} as `EventBatch`es) written into `scope.events` (schema by the
            silo's `Migrator`, today's daily partition made by its `PartitionMaintainer`) of a private
            PostgreSQL (`scripts/pg.sh`, `synchronous_commit = off`), on a freshly truncated table each
            time, the two methods alternating within each round:

            - **plain COPY**: what a minimal writer would do: `BeginBinaryImport`, one row per record with
              exactly SCOPE's 15 columns and values (the record decoded at its fixed offsets, the raw
              bytes included), `Complete`; one COPY (its own transaction) per {chunk:N0} records, SCOPE's
              `MaxBatchRecords`, so both commit equally often: the whole backlog waits at once, so
              SCOPE's writer too takes {chunk:N0} records per transaction.
            - **SCOPE**: the silo's `PersistenceWriter` (default options): `EnqueueAsync` of every batch,
              then waiting until `RecordsWritten` = N.

            Both leave the very same rows (checked: count, sum of `event_index`, sum of `ret`
            {(mismatch is null ? "identical after every run" : "DIFFER: " + mismatch)}).


            """);
        sb.Append(CultureInfo.InvariantCulture,
            $"Goal: SCOPE's writer ≥ {Goal:0.0}× the plain COPY's rows/s. **{(ratio >= Goal ? "met" : "not met")}**: {ratio:0.00}× (median of {plain.Count} rounds each; per round: {string.Join(", ", perRound.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture) + "×"))}).\n\n");

        var rowsTable = runs.Select(r => (IReadOnlyList<string>)
        [
            r.Round.ToString(CultureInfo.InvariantCulture), r.Method == "plain" ? "plain COPY" : "SCOPE PersistenceWriter",
            Md.N(r.Rows), r.Seconds.ToString("0.00", CultureInfo.InvariantCulture), Md.N(r.RowsPerSecond),
            (r.BenchCpu / r.Seconds).ToString("0.00", CultureInfo.InvariantCulture),
            (r.OtherCpu / r.Seconds).ToString("0.00", CultureInfo.InvariantCulture),
        ]);
        sb.Append(Md.Table(["round", "method", "rows", "seconds", "rows/s", "writer cores", "PostgreSQL + other cores"], rowsTable, "rlrrrrr"));
        sb.Append('\n');
        sb.Append(Md.Table(["method", "median rows/s", "vs plain COPY"],
        [
            ["plain COPY", Md.N(plainMed), "1.00×"],
            ["SCOPE PersistenceWriter", Md.N(scopeMed), ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×"],
        ], "lrr"));
        sb.Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"""
            What SCOPE's transaction does besides the COPY (`FlushTransaction`): first
            `SELECT … FROM scope.collectors … FOR UPDATE` (the collector run's `last_sequence`, so a
            retried commit never writes a batch twice); then, in one `NpgsqlBatch`, `machines` (insert,
            then `last_seen`), `collectors` (insert, then the watermark and counters: `next_event`,
            `persisted_events`, gaps, drops, state), `processes` (one upsert row per process seen in the
            transaction, from the records' headers: comm, first/last seen, start time) and
            `syscall_stats` (only for count and histogram records: none here). The plain COPY's rows
            carry no accounting at all. After SCOPE's last run: {string.Join(", ", otherTables.Select(kv => $"`{kv.Key}` {kv.Value} row{(kv.Value == 1 ? "" : "s")}"))}.
            Per record, SCOPE also walks the payload twice (framing, then rows) and keeps per-process
            accumulators; "writer cores" shows that CPU.


            """);
        sb.Append(CultureInfo.InvariantCulture, $"Run {Machine.Describe()}, by `bench/pipeline/run.sh` (`scope-bench persistence`); {idle}. A full-size warm-up of each method precedes the rounds; the first method of a round alternates. \"PostgreSQL + other\" is the machine's busy CPU less the benchmark process's own.\n");
        return sb.ToString();
    }
}
