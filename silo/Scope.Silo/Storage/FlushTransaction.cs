using Npgsql;
using NpgsqlTypes;
using Scope.Abstractions;

namespace Scope.Silo.Storage;

/// <summary>A collector run: what its batches, drops and watermark are accounted to.</summary>
internal readonly record struct CollectorKey(string MachineId, string CollectorId, ulong Instance)
{
    public static CollectorKey Of(EventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return new(WireRecords.Clean(batch.MachineId), WireRecords.Clean(batch.CollectorId), batch.Instance);
    }
}

/// <summary>Batches of one collector run that were dropped before reaching the database, not yet accounted there.</summary>
internal sealed class DropAccount
{
    public long Batches;
    public long Records;
    public ulong EndEvent;
    public ulong SendDrops;
    public ulong[] KernelDrops = new ulong[3];
    public string Version = "";
    public string TaskId = "";
    public DateTime LastSeen;

    public void Add(EventBatch batch)
    {
        Batches++;
        Records += batch.RecordCount;
        EndEvent = Math.Max(EndEvent, batch.FirstEvent + (ulong)batch.RecordCount);
        SendDrops = Math.Max(SendDrops, batch.SendDrops);
        for (int i = 0; i < Math.Min(3, batch.KernelDrops.Length); i++)
            KernelDrops[i] = Math.Max(KernelDrops[i], batch.KernelDrops[i]);
        Version = WireRecords.Clean(batch.CollectorVersion);
        TaskId = WireRecords.Clean(batch.TaskId);
        var seen = batch.ReceivedAt.UtcDateTime;
        if (seen > LastSeen)
            LastSeen = seen;
    }

    public void Add(DropAccount other)
    {
        Batches += other.Batches;
        Records += other.Records;
        EndEvent = Math.Max(EndEvent, other.EndEvent);
        SendDrops = Math.Max(SendDrops, other.SendDrops);
        for (int i = 0; i < 3; i++)
            KernelDrops[i] = Math.Max(KernelDrops[i], other.KernelDrops[i]);
        if (other.LastSeen >= LastSeen)
        {
            Version = other.Version;
            TaskId = other.TaskId;
            LastSeen = other.LastSeen;
        }
    }
}

/// <summary>
/// One write transaction: the batches taken from the queue (in queue order), the drops to account,
/// and at most one trailing state change. Builds everything set-based: one binary COPY for the
/// events, then one statement per table fed by arrays.
/// </summary>
internal sealed class FlushTransaction
{
    private const string CopyEvents =
        "COPY scope.events (time, ts_ns, machine_id, collector_id, instance, event_index, pid, tid, start_ns, comm, type, nr, ret, dur_ns, record) FROM STDIN (FORMAT BINARY)";

    private readonly IReadOnlyList<EventBatch> _batches;
    private readonly IReadOnlyDictionary<CollectorKey, DropAccount> _drops;
    private readonly (CollectorKey Key, string State)? _mark;

    private readonly Dictionary<string, DateTime?> _machines = new(StringComparer.Ordinal);
    private readonly Dictionary<CollectorKey, CollectorAcc> _collectors = [];
    private readonly Dictionary<ProcessKey, ProcessAcc> _processes = [];
    private readonly Dictionary<StatKey, CountAcc> _counts = [];
    private readonly Dictionary<StatKey, HistAcc> _hists = [];
    private readonly List<RecordRef> _refs = [];

    public FlushTransaction(IReadOnlyList<EventBatch> batches, IReadOnlyDictionary<CollectorKey, DropAccount> drops, (CollectorKey, string)? mark)
    {
        _batches = batches;
        _drops = drops;
        _mark = mark;
    }

    /// <summary>Rows copied into scope.events.</summary>
    public long EventRows { get; private set; }

    /// <summary>Records of the batches written (all types).</summary>
    public long RecordsPersisted { get; private set; }

    /// <summary>Batches skipped because the database already had them (a retried commit that had in fact succeeded).</summary>
    public int DuplicateBatches { get; private set; }

    /// <summary>Batches whose payload did not frame into exactly RecordCount records.</summary>
    public int MalformedBatches { get; private set; }

    public async Task ExecuteAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);

        var fresh = await SkipPersistedAsync(conn, tx, ct).ConfigureAwait(false);

        NpgsqlBinaryImporter? importer = null;
        try
        {
            foreach (var batch in fresh)
                importer = AddBatch(conn, batch, importer);
            if (importer is not null)
                EventRows = (long)await importer.CompleteAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            if (importer is not null)
                await importer.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var (key, drop) in _drops)
            AddDrops(key, drop);
        if (_mark is { } mark)
        {
            Collector(mark.Key).Mark = mark.State;
            _machines.TryAdd(mark.Key.MachineId, null);
        }

        await using (var sqlBatch = new NpgsqlBatch(conn, tx))
        {
            AddMachineStatements(sqlBatch);
            AddCollectorStatements(sqlBatch);
            AddProcessStatement(sqlBatch);
            AddCountStatement(sqlBatch);
            AddHistStatement(sqlBatch);
            if (sqlBatch.BatchCommands.Count > 0)
                await sqlBatch.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Locks the collectors' rows and leaves out batches at or below their last persisted sequence:
    /// when a commit's acknowledgement is lost the writer retries a transaction that may have
    /// committed, and batches must not be written twice.
    /// </summary>
    private async Task<List<EventBatch>> SkipPersistedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        var keys = new HashSet<CollectorKey>();
        foreach (var b in _batches)
            keys.Add(CollectorKey.Of(b));
        keys.UnionWith(_drops.Keys);
        if (_mark is { } m)
            keys.Add(m.Key);

        var lastSequence = new Dictionary<CollectorKey, ulong>();
        if (keys.Count > 0)
        {
            await using var cmd = new NpgsqlCommand("""
                SELECT c.machine_id, c.collector_id, c.instance, c.last_sequence
                FROM scope.collectors c
                JOIN unnest(@m, @c, @i) AS k(m, c, i) ON c.machine_id = k.m AND c.collector_id = k.c AND c.instance = k.i
                ORDER BY 1, 2, 3
                FOR UPDATE OF c
                """, conn, tx);
            cmd.Parameters.Add(Param("m", keys.Select(k => k.MachineId).ToArray()));
            cmd.Parameters.Add(Param("c", keys.Select(k => k.CollectorId).ToArray()));
            cmd.Parameters.Add(Param("i", keys.Select(k => unchecked((long)k.Instance)).ToArray()));
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var key = new CollectorKey(reader.GetString(0), reader.GetString(1), unchecked((ulong)reader.GetInt64(2)));
                lastSequence[key] = unchecked((ulong)reader.GetInt64(3));
            }
        }

        var fresh = new List<EventBatch>(_batches.Count);
        foreach (var b in _batches)
        {
            var key = CollectorKey.Of(b);
            if (lastSequence.TryGetValue(key, out var last) && b.Sequence <= last)
            {
                DuplicateBatches++;
                continue;
            }
            lastSequence[key] = b.Sequence;
            fresh.Add(b);
        }
        return fresh;
    }

    private NpgsqlBinaryImporter? AddBatch(NpgsqlConnection conn, EventBatch batch, NpgsqlBinaryImporter? importer)
    {
        var key = CollectorKey.Of(batch);
        var instance = unchecked((long)batch.Instance);
        var payload = batch.Payload;

        _refs.Clear();
        int framed = WireRecords.Frame(payload.Span, _refs);
        if (_refs.Count != batch.RecordCount || framed != payload.Length)
            MalformedBatches++;

        foreach (var rec in _refs)
        {
            var r = payload.Span.Slice(rec.Offset, rec.Size);
            var ts = WireRecords.TsNs(r);
            var time = Wall(batch, ts);
            var pid = unchecked((int)WireRecords.Pid(r));
            var startNs = unchecked((long)WireRecords.StartNs(r));
            var comm = WireRecords.Comm(r);

            var process = Process(new ProcessKey(key.MachineId, pid, startNs));
            process.Touch(comm, time);
            process.StartTime ??= Wall(batch, WireRecords.StartNs(r));

            switch (rec.Type)
            {
                case WireRecords.Exec when rec.Size >= WireRecords.ExecSize:
                    process.Info(r);
                    process.HasExec = true;
                    process.Filename = WireRecords.ExecFilename(r);
                    process.Argv = WireRecords.ExecArgv(r);
                    break;
                case WireRecords.Fork when rec.Size >= WireRecords.ForkSize:
                    process.Info(r);
                    var child = Process(new ProcessKey(key.MachineId, unchecked((int)WireRecords.ForkChildPid(r)), unchecked((long)WireRecords.ForkChildStartNs(r))));
                    child.Touch(comm, time);
                    child.Ppid ??= pid;
                    child.StartTime ??= Wall(batch, WireRecords.ForkChildStartNs(r));
                    break;
                case WireRecords.Exit when rec.Size >= WireRecords.ExitSize:
                    process.Info(r);
                    process.ExitTime = time;
                    process.ExitCode = WireRecords.ExitCode(r);
                    process.Signal = WireRecords.ExitSignal(r);
                    break;
                case WireRecords.SyscallCounts:
                    AddCounts(key.MachineId, pid, startNs, r, time);
                    continue;
                case WireRecords.SyscallHist:
                    if (rec.Size >= WireRecords.HistSize)
                        AddHist(key.MachineId, pid, startNs, r, ts, time);
                    continue;
            }

            // Types 1-5 and 8-14 become event rows (Python samples, code names and calls with null nr,
            // ret and dur_ns); counts and histograms live only in syscall_stats, and a type this code does not
            // know is still counted (RecordCount) but not stored.
            if (rec.Type is not (>= WireRecords.Exec and <= WireRecords.SyscallData) and not (>= WireRecords.CudaCall and <= WireRecords.PythonCall))
                continue;

            importer ??= conn.BeginBinaryImport(CopyEvents);
            importer.StartRow();
            importer.Write(time, NpgsqlDbType.TimestampTz);
            importer.Write(unchecked((long)ts), NpgsqlDbType.Bigint);
            importer.Write(key.MachineId, NpgsqlDbType.Text);
            importer.Write(key.CollectorId, NpgsqlDbType.Text);
            importer.Write(instance, NpgsqlDbType.Bigint);
            importer.Write(unchecked((long)(batch.FirstEvent + (ulong)rec.Index)), NpgsqlDbType.Bigint);
            importer.Write(pid, NpgsqlDbType.Integer);
            importer.Write(unchecked((int)WireRecords.Tid(r)), NpgsqlDbType.Integer);
            importer.Write(startNs, NpgsqlDbType.Bigint);
            importer.Write(comm, NpgsqlDbType.Text);
            importer.Write((short)rec.Type, NpgsqlDbType.Smallint);
            if (rec.Type is WireRecords.Syscall or WireRecords.SyscallData && rec.Size >= 72)
            {
                // x32 syscall numbers carry bit 30 and do not fit smallint: the raw record keeps them.
                uint nr = WireRecords.SyscallNr(r);
                if (nr <= (uint)short.MaxValue)
                    importer.Write((short)nr, NpgsqlDbType.Smallint);
                else
                    importer.WriteNull();
                importer.Write(WireRecords.SyscallRet(r), NpgsqlDbType.Bigint);
                importer.Write(unchecked((long)WireRecords.SyscallDurNs(r)), NpgsqlDbType.Bigint);
            }
            else if (rec.Type == WireRecords.CudaCall && rec.Size >= WireRecords.CudaCallSize)
            {
                // For CUDA calls the same columns hold the API, its cudaError_t and its duration.
                importer.Write((short)WireRecords.CudaApi(r), NpgsqlDbType.Smallint);
                importer.Write((long)WireRecords.CudaRet(r), NpgsqlDbType.Bigint);
                importer.Write(unchecked((long)WireRecords.CudaDurNs(r)), NpgsqlDbType.Bigint);
            }
            else
            {
                importer.WriteNull();
                importer.WriteNull();
                importer.WriteNull();
            }
            importer.Write(payload.Slice(rec.Offset, rec.Size), NpgsqlDbType.Bytea);
        }

        RecordsPersisted += batch.RecordCount;
        var c = Collector(key);
        c.Batches++;
        c.Version = WireRecords.Clean(batch.CollectorVersion);
        c.TaskId = WireRecords.Clean(batch.TaskId);
        var received = batch.ReceivedAt.UtcDateTime;
        c.FirstSeen = c.FirstSeen is { } fs && fs <= received ? fs : received;
        c.LastSeen = c.LastSeen is { } ls && ls >= received ? ls : received;
        c.LastSequence = Math.Max(c.LastSequence, batch.Sequence);
        c.NextEvent = Math.Max(c.NextEvent, batch.FirstEvent + (ulong)batch.RecordCount);
        c.Persisted += batch.RecordCount;
        c.Gap += batch.GapBefore;
        c.SendDrops = Math.Max(c.SendDrops, batch.SendDrops);
        for (int i = 0; i < Math.Min(3, batch.KernelDrops.Length); i++)
            c.KernelDrops[i] = Math.Max(c.KernelDrops[i], batch.KernelDrops[i]);
        c.Final |= batch.Final;
        SeeMachine(key.MachineId, received);
        return importer;
    }

    private void AddCounts(string machine, int pid, long startNs, ReadOnlySpan<byte> r, DateTime time)
    {
        int n = WireRecords.CountsN(r);
        if (r.Length < 56 + (32 * n))
            return;
        bool final = (WireRecords.CountsFlags(r) & WireRecords.FinalFlag) != 0;
        for (int i = 0; i < n; i++)
        {
            var (nr, count, errors, totalNs) = WireRecords.CountEntry(r, i);
            if (nr > (uint)short.MaxValue)
                continue;
            var key = new StatKey(machine, pid, startNs, (short)nr);
            if (!_counts.TryGetValue(key, out var acc))
                _counts[key] = acc = new CountAcc();
            // Cumulative: the larger value is the newer one.
            acc.Count = Math.Max(acc.Count, count);
            acc.Errors = Math.Max(acc.Errors, errors);
            acc.TotalNs = Math.Max(acc.TotalNs, totalNs);
            acc.Final |= final;
            if (time > acc.UpdatedAt)
                acc.UpdatedAt = time;
        }
    }

    private void AddHist(string machine, int pid, long startNs, ReadOnlySpan<byte> r, ulong ts, DateTime time)
    {
        uint nr = WireRecords.HistNr(r);
        if (nr > (uint)short.MaxValue)
            return;
        var key = new StatKey(machine, pid, startNs, (short)nr);
        if (!_hists.TryGetValue(key, out var acc))
            _hists[key] = acc = new HistAcc();
        acc.Final |= (WireRecords.HistFlags(r) & WireRecords.FinalFlag) != 0;
        if (acc.Buckets is null || ts >= acc.TsNs)
        {
            acc.Buckets ??= new int[WireRecords.HistBuckets];
            WireRecords.HistBucketsInto(r, acc.Buckets);
            acc.TsNs = ts;
            acc.UpdatedAt = time;
        }
    }

    private void AddDrops(CollectorKey key, DropAccount drop)
    {
        var c = Collector(key);
        c.PersistDrops += drop.Records;
        c.NextEvent = Math.Max(c.NextEvent, drop.EndEvent);
        c.SendDrops = Math.Max(c.SendDrops, drop.SendDrops);
        for (int i = 0; i < 3; i++)
            c.KernelDrops[i] = Math.Max(c.KernelDrops[i], drop.KernelDrops[i]);
        if (c.Version.Length == 0)
            c.Version = drop.Version;
        if (c.TaskId.Length == 0)
            c.TaskId = drop.TaskId;
        // A dropped batch still shows the collector was alive.
        c.FirstSeen = c.FirstSeen is { } fs && fs <= drop.LastSeen ? fs : drop.LastSeen;
        c.LastSeen = c.LastSeen is { } ls && ls >= drop.LastSeen ? ls : drop.LastSeen;
        SeeMachine(key.MachineId, drop.LastSeen);
    }

    private void SeeMachine(string machine, DateTime seen)
    {
        if (!_machines.TryGetValue(machine, out var known) || known is null || known < seen)
            _machines[machine] = seen;
    }

    private CollectorAcc Collector(CollectorKey key)
    {
        if (!_collectors.TryGetValue(key, out var acc))
            _collectors[key] = acc = new CollectorAcc();
        return acc;
    }

    private ProcessAcc Process(ProcessKey key)
    {
        if (!_processes.TryGetValue(key, out var acc))
            _processes[key] = acc = new ProcessAcc();
        return acc;
    }

    // Rows are created by a plain INSERT .. DO NOTHING and then updated from the arrays: unlike
    // ON CONFLICT .. DO UPDATE (which sees only the proposed row), an UPDATE .. FROM can use
    // inputs that are not columns, such as "no timestamp: do not touch last_seen".
    private void AddMachineStatements(NpgsqlBatch sqlBatch)
    {
        if (_machines.Count == 0)
            return;
        var ids = _machines.Keys.ToArray();
        var seen = ids.Select(id => _machines[id]).ToArray();
        var insert = sqlBatch.CreateBatchCommand();
        insert.CommandText = """
            INSERT INTO scope.machines (id, first_seen, last_seen)
            SELECT t.id, coalesce(t.seen, now()), coalesce(t.seen, now()) FROM unnest(@id, @seen) AS t(id, seen)
            ON CONFLICT (id) DO NOTHING
            """;
        insert.Parameters.Add(Param("id", ids));
        insert.Parameters.Add(Param("seen", seen));
        sqlBatch.BatchCommands.Add(insert);

        var update = sqlBatch.CreateBatchCommand();
        update.CommandText = """
            UPDATE scope.machines m SET last_seen = greatest(m.last_seen, t.seen)
            FROM unnest(@id, @seen) AS t(id, seen)
            WHERE m.id = t.id AND t.seen IS NOT NULL
            """;
        update.Parameters.Add(Param("id", ids));
        update.Parameters.Add(Param("seen", seen));
        sqlBatch.BatchCommands.Add(update);
    }

    private void AddCollectorStatements(NpgsqlBatch sqlBatch)
    {
        if (_collectors.Count == 0)
            return;
        var keys = _collectors.Keys.ToArray();
        var accs = keys.Select(k => _collectors[k]).ToArray();
        var m = keys.Select(k => k.MachineId).ToArray();
        var c = keys.Select(k => k.CollectorId).ToArray();
        var i = keys.Select(k => unchecked((long)k.Instance)).ToArray();
        var version = accs.Select(a => a.Version).ToArray();
        var task = accs.Select(a => a.TaskId).ToArray();
        var firstSeen = accs.Select(a => a.FirstSeen).ToArray();
        var lastSeen = accs.Select(a => a.LastSeen).ToArray();

        var insert = sqlBatch.CreateBatchCommand();
        insert.CommandText = """
            INSERT INTO scope.collectors (machine_id, collector_id, instance, version, task_id, first_seen, last_seen)
            SELECT t.m, t.c, t.i, t.version, t.task, coalesce(t.fs, now()), coalesce(t.ls, now())
            FROM unnest(@m, @c, @i, @version, @task, @fs, @ls) AS t(m, c, i, version, task, fs, ls)
            ON CONFLICT (machine_id, collector_id, instance) DO NOTHING
            """;
        insert.Parameters.Add(Param("m", m));
        insert.Parameters.Add(Param("c", c));
        insert.Parameters.Add(Param("i", i));
        insert.Parameters.Add(Param("version", version));
        insert.Parameters.Add(Param("task", task));
        insert.Parameters.Add(Param("fs", firstSeen));
        insert.Parameters.Add(Param("ls", lastSeen));
        sqlBatch.BatchCommands.Add(insert);

        // Counters from the collector are cumulative per instance (greatest); counts of what this
        // silo persisted, skipped and dropped are increments (+).
        var update = sqlBatch.CreateBatchCommand();
        update.CommandText = """
            UPDATE scope.collectors c SET
                version = CASE WHEN t.version <> '' THEN t.version ELSE c.version END,
                task_id = CASE WHEN t.batches > 0 THEN t.task ELSE c.task_id END,
                last_seen = greatest(c.last_seen, t.ls),
                last_sequence = greatest(c.last_sequence, t.seq),
                next_event = greatest(c.next_event, t.next),
                persisted_events = c.persisted_events + t.persisted,
                gap_events = c.gap_events + t.gap,
                send_drops = greatest(c.send_drops, t.sd),
                kernel_drops = ARRAY[greatest(c.kernel_drops[1], t.k0), greatest(c.kernel_drops[2], t.k1), greatest(c.kernel_drops[3], t.k2)],
                persist_drops = c.persist_drops + t.pdrops,
                final = c.final OR t.final,
                state = CASE
                    WHEN t.mark IS NOT NULL THEN t.mark
                    WHEN t.batches = 0 THEN c.state
                    WHEN c.final OR t.final THEN 'stopped'
                    -- A run marked gone (its process ended) cannot send again: a batch arriving
                    -- now was on its way before, and does not bring it back.
                    WHEN c.state IN ('gone', 'lost') THEN c.state
                    ELSE 'running' END
            FROM unnest(@m, @c, @i, @version, @task, @ls, @seq, @next, @persisted, @gap, @sd, @k0, @k1, @k2, @pdrops, @final, @batches, @mark)
                AS t(m, c, i, version, task, ls, seq, next, persisted, gap, sd, k0, k1, k2, pdrops, final, batches, mark)
            WHERE c.machine_id = t.m AND c.collector_id = t.c AND c.instance = t.i
            """;
        update.Parameters.Add(Param("m", m));
        update.Parameters.Add(Param("c", c));
        update.Parameters.Add(Param("i", i));
        update.Parameters.Add(Param("version", version));
        update.Parameters.Add(Param("task", task));
        update.Parameters.Add(Param("ls", lastSeen));
        update.Parameters.Add(Param("seq", accs.Select(a => unchecked((long)a.LastSequence)).ToArray()));
        update.Parameters.Add(Param("next", accs.Select(a => unchecked((long)a.NextEvent)).ToArray()));
        update.Parameters.Add(Param("persisted", accs.Select(a => a.Persisted).ToArray()));
        update.Parameters.Add(Param("gap", accs.Select(a => unchecked((long)a.Gap)).ToArray()));
        update.Parameters.Add(Param("sd", accs.Select(a => unchecked((long)a.SendDrops)).ToArray()));
        update.Parameters.Add(Param("k0", accs.Select(a => unchecked((long)a.KernelDrops[0])).ToArray()));
        update.Parameters.Add(Param("k1", accs.Select(a => unchecked((long)a.KernelDrops[1])).ToArray()));
        update.Parameters.Add(Param("k2", accs.Select(a => unchecked((long)a.KernelDrops[2])).ToArray()));
        update.Parameters.Add(Param("pdrops", accs.Select(a => a.PersistDrops).ToArray()));
        update.Parameters.Add(Param("final", accs.Select(a => a.Final).ToArray()));
        update.Parameters.Add(Param("batches", accs.Select(a => a.Batches).ToArray()));
        update.Parameters.Add(Param("mark", accs.Select(a => a.Mark).ToArray()));
        sqlBatch.BatchCommands.Add(update);
    }

    private void AddProcessStatement(NpgsqlBatch sqlBatch)
    {
        if (_processes.Count == 0)
            return;
        var keys = _processes.Keys.ToArray();
        var accs = keys.Select(k => _processes[k]).ToArray();

        // argv is jagged, which unnest cannot take; every row's arguments go into one flat array
        // and each row carries where its slice starts (1-based) and how long it is.
        var argv = new List<string>();
        var argvStart = new int[accs.Length];
        var argvCount = new int[accs.Length];
        for (int n = 0; n < accs.Length; n++)
        {
            argvStart[n] = argv.Count + 1;
            if (accs[n].Argv is { } a)
            {
                argv.AddRange(a);
                argvCount[n] = a.Length;
            }
        }

        var cmd = sqlBatch.CreateBatchCommand();
        cmd.CommandText = """
            INSERT INTO scope.processes AS p
                (machine_id, pid, start_ns, comm, ppid, uid, cgroup_id, filename, argv, start_time, exit_time, exit_code, signal, first_seen, last_seen)
            SELECT t.m, t.pid, t.sns, t.comm, t.ppid, t.uid, t.cg,
                   CASE WHEN t.exec THEN t.fname END,
                   CASE WHEN t.exec THEN coalesce((@argv::text[])[t.a0 : t.a0 + t.an - 1], '{}') END,
                   t.stime, t.etime, t.ecode, t.sig, t.fs, t.ls
            FROM unnest(@m, @pid, @sns, @comm, @ppid, @uid, @cg, @exec, @fname, @a0, @an, @stime, @etime, @ecode, @sig, @fs, @ls)
                AS t(m, pid, sns, comm, ppid, uid, cg, exec, fname, a0, an, stime, etime, ecode, sig, fs, ls)
            ON CONFLICT (machine_id, pid, start_ns) DO UPDATE SET
                comm = CASE WHEN excluded.last_seen >= p.last_seen THEN excluded.comm ELSE p.comm END,
                ppid = coalesce(p.ppid, excluded.ppid),
                uid = coalesce(excluded.uid, p.uid),
                cgroup_id = coalesce(excluded.cgroup_id, p.cgroup_id),
                filename = CASE WHEN excluded.argv IS NOT NULL THEN excluded.filename ELSE p.filename END,
                argv = coalesce(excluded.argv, p.argv),
                start_time = coalesce(p.start_time, excluded.start_time),
                exit_time = coalesce(excluded.exit_time, p.exit_time),
                exit_code = coalesce(excluded.exit_code, p.exit_code),
                signal = coalesce(excluded.signal, p.signal),
                first_seen = least(p.first_seen, excluded.first_seen),
                last_seen = greatest(p.last_seen, excluded.last_seen)
            """;
        cmd.Parameters.Add(Param("argv", argv.ToArray()));
        cmd.Parameters.Add(Param("m", keys.Select(k => k.MachineId).ToArray()));
        cmd.Parameters.Add(Param("pid", keys.Select(k => k.Pid).ToArray()));
        cmd.Parameters.Add(Param("sns", keys.Select(k => k.StartNs).ToArray()));
        cmd.Parameters.Add(Param("comm", accs.Select(a => a.Comm).ToArray()));
        cmd.Parameters.Add(Param("ppid", accs.Select(a => a.Ppid).ToArray()));
        cmd.Parameters.Add(Param("uid", accs.Select(a => a.Uid).ToArray()));
        cmd.Parameters.Add(Param("cg", accs.Select(a => a.CgroupId).ToArray()));
        cmd.Parameters.Add(Param("exec", accs.Select(a => a.HasExec).ToArray()));
        cmd.Parameters.Add(Param("fname", accs.Select(a => a.Filename).ToArray()));
        cmd.Parameters.Add(Param("a0", argvStart));
        cmd.Parameters.Add(Param("an", argvCount));
        cmd.Parameters.Add(Param("stime", accs.Select(a => a.StartTime).ToArray()));
        cmd.Parameters.Add(Param("etime", accs.Select(a => a.ExitTime).ToArray()));
        cmd.Parameters.Add(Param("ecode", accs.Select(a => a.ExitCode).ToArray()));
        cmd.Parameters.Add(Param("sig", accs.Select(a => a.Signal).ToArray()));
        cmd.Parameters.Add(Param("fs", accs.Select(a => a.FirstSeen).ToArray()));
        cmd.Parameters.Add(Param("ls", accs.Select(a => a.LastSeen).ToArray()));
        sqlBatch.BatchCommands.Add(cmd);
    }

    private void AddCountStatement(NpgsqlBatch sqlBatch)
    {
        if (_counts.Count == 0)
            return;
        var keys = _counts.Keys.ToArray();
        var accs = keys.Select(k => _counts[k]).ToArray();
        var cmd = sqlBatch.CreateBatchCommand();
        // Totals are cumulative, so a smaller value is an older (or re-counted) one: never go back.
        cmd.CommandText = """
            INSERT INTO scope.syscall_stats AS s (machine_id, pid, start_ns, nr, count, errors, total_ns, final, updated_at)
            SELECT * FROM unnest(@m, @pid, @sns, @nr, @count, @errors, @total, @final, @at)
            ON CONFLICT (machine_id, pid, start_ns, nr) DO UPDATE SET
                count = greatest(s.count, excluded.count),
                errors = greatest(s.errors, excluded.errors),
                total_ns = greatest(s.total_ns, excluded.total_ns),
                final = s.final OR excluded.final,
                updated_at = greatest(s.updated_at, excluded.updated_at)
            """;
        AddStatKeys(cmd, keys);
        cmd.Parameters.Add(Param("count", accs.Select(a => unchecked((long)a.Count)).ToArray()));
        cmd.Parameters.Add(Param("errors", accs.Select(a => unchecked((long)a.Errors)).ToArray()));
        cmd.Parameters.Add(Param("total", accs.Select(a => unchecked((long)a.TotalNs)).ToArray()));
        cmd.Parameters.Add(Param("final", accs.Select(a => a.Final).ToArray()));
        cmd.Parameters.Add(Param("at", accs.Select(a => a.UpdatedAt).ToArray()));
        sqlBatch.BatchCommands.Add(cmd);
    }

    private void AddHistStatement(NpgsqlBatch sqlBatch)
    {
        if (_hists.Count == 0)
            return;
        var keys = _hists.Keys.ToArray();
        var accs = keys.Select(k => _hists[k]).ToArray();
        // Like argv: all histograms in one flat array, row n's 96 buckets at n*96.
        var flat = new int[accs.Length * WireRecords.HistBuckets];
        for (int n = 0; n < accs.Length; n++)
            accs[n].Buckets!.CopyTo(flat, n * WireRecords.HistBuckets);
        var cmd = sqlBatch.CreateBatchCommand();
        cmd.CommandText = """
            INSERT INTO scope.syscall_stats AS s (machine_id, pid, start_ns, nr, hist, final, updated_at)
            SELECT t.m, t.pid, t.sns, t.nr, (@hist::integer[])[(t.ord - 1) * 96 + 1 : t.ord * 96], t.final, t.at
            FROM unnest(@m, @pid, @sns, @nr, @final, @at) WITH ORDINALITY AS t(m, pid, sns, nr, final, at, ord)
            ON CONFLICT (machine_id, pid, start_ns, nr) DO UPDATE SET
                hist = CASE WHEN s.hist IS NULL OR scope.hist_total(excluded.hist) >= scope.hist_total(s.hist)
                            THEN excluded.hist ELSE s.hist END,
                final = s.final OR excluded.final,
                updated_at = greatest(s.updated_at, excluded.updated_at)
            """;
        AddStatKeys(cmd, keys);
        cmd.Parameters.Add(Param("hist", flat));
        cmd.Parameters.Add(Param("final", accs.Select(a => a.Final).ToArray()));
        cmd.Parameters.Add(Param("at", accs.Select(a => a.UpdatedAt).ToArray()));
        sqlBatch.BatchCommands.Add(cmd);
    }

    private static void AddStatKeys(NpgsqlBatchCommand cmd, StatKey[] keys)
    {
        cmd.Parameters.Add(Param("m", keys.Select(k => k.MachineId).ToArray()));
        cmd.Parameters.Add(Param("pid", keys.Select(k => k.Pid).ToArray()));
        cmd.Parameters.Add(Param("sns", keys.Select(k => k.StartNs).ToArray()));
        cmd.Parameters.Add(Param("nr", keys.Select(k => k.Nr).ToArray()));
    }

    private static NpgsqlParameter<T> Param<T>(string name, T value) => new(name, value);

    // Spelled out: with nulls in the array, inference could pick timestamp without time zone.
    private static NpgsqlParameter<DateTime?[]> Param(string name, DateTime?[] value) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = value };

    private static NpgsqlParameter<DateTime[]> Param(string name, DateTime[] value) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = value };

    /// <summary>Boot-time ns as a UTC wall-clock time, truncated to the microsecond timestamptz keeps.</summary>
    internal static DateTime Wall(EventBatch batch, ulong bootNs) =>
        DateTime.UnixEpoch.AddTicks(batch.ToUnixNanos(bootNs) / 1000 * 10);

    private readonly record struct ProcessKey(string MachineId, int Pid, long StartNs);

    private readonly record struct StatKey(string MachineId, int Pid, long StartNs, short Nr);

    private sealed class ProcessAcc
    {
        public string Comm = "";
        public DateTime FirstSeen = DateTime.MaxValue;
        public DateTime LastSeen = DateTime.MinValue;
        public DateTime? StartTime;
        // The parent at creation: later records may show a reaper after reparenting.
        public int? Ppid;
        public long? Uid;
        public decimal? CgroupId;
        public bool HasExec;
        public string? Filename;
        public string[]? Argv;
        public DateTime? ExitTime;
        public int? ExitCode;
        public int? Signal;

        public void Touch(string comm, DateTime time)
        {
            if (time >= LastSeen)
            {
                LastSeen = time;
                Comm = comm;
            }
            if (time < FirstSeen)
                FirstSeen = time;
        }

        public void Info(ReadOnlySpan<byte> r)
        {
            Ppid ??= unchecked((int)WireRecords.Ppid(r));
            Uid = WireRecords.Uid(r);
            CgroupId = WireRecords.CgroupId(r);
        }
    }

    private sealed class CountAcc
    {
        public ulong Count;
        public ulong Errors;
        public ulong TotalNs;
        public bool Final;
        public DateTime UpdatedAt = DateTime.MinValue;
    }

    private sealed class HistAcc
    {
        public int[]? Buckets;
        public ulong TsNs;
        public bool Final;
        public DateTime UpdatedAt;
    }

    private sealed class CollectorAcc
    {
        public string Version = "";
        public string TaskId = "";
        public DateTime? FirstSeen;
        public DateTime? LastSeen;
        public ulong LastSequence;
        public ulong NextEvent;
        public long Persisted;
        public ulong Gap;
        public ulong SendDrops;
        public ulong[] KernelDrops = new ulong[3];
        public long PersistDrops;
        public bool Final;
        public long Batches;
        public string? Mark;
    }
}
