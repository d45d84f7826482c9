using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Scope.Silo.Storage;

/// <summary>The queries behind the REST API. Every value from a caller travels as a parameter.</summary>
public sealed partial class ScopeReadStore
{
    public const int MaxLimit = 1000;
    private const int CursorVersion = 1;

    private readonly NpgsqlDataSource _dataSource;

    public ScopeReadStore(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    /// <summary>Whether the database answers (for health checks); never throws for an unreachable one.</summary>
    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            await using var cmd = _dataSource.CreateCommand("SELECT 1");
            return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is 1;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<MachineSummary>> ListMachinesAsync(CancellationToken ct = default)
    {
        // Newest run = the one that started last. Drop counters are cumulative per run, so summing
        // the stored (latest) value of each run gives the collector's total.
        const string collectorsSql = """
            SELECT n.machine_id, n.collector_id, n.instance, n.version, n.task_id, a.first_seen, n.last_seen, n.state, n.final,
                   a.instances, a.persisted, a.gaps, a.persist_drops, a.send_drops, a.k1, a.k2, a.k3
            FROM (
                SELECT DISTINCT ON (machine_id, collector_id) *
                FROM scope.collectors
                ORDER BY machine_id, collector_id, first_seen DESC, last_seen DESC
            ) n
            JOIN (
                SELECT machine_id, collector_id, min(first_seen) AS first_seen, count(*)::int AS instances,
                       sum(persisted_events)::bigint AS persisted, sum(gap_events)::bigint AS gaps,
                       sum(persist_drops)::bigint AS persist_drops, sum(send_drops)::bigint AS send_drops,
                       sum(kernel_drops[1])::bigint AS k1, sum(kernel_drops[2])::bigint AS k2, sum(kernel_drops[3])::bigint AS k3
                FROM scope.collectors
                GROUP BY machine_id, collector_id
            ) a USING (machine_id, collector_id)
            ORDER BY n.machine_id, n.collector_id
            """;
        var collectors = new Dictionary<string, List<CollectorSummary>>(StringComparer.Ordinal);
        await using (var cmd = _dataSource.CreateCommand(collectorsSql))
        await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                long k1 = reader.GetInt64(14), k2 = reader.GetInt64(15), k3 = reader.GetInt64(16);
                var summary = new CollectorSummary(
                    CollectorId: reader.GetString(1),
                    Instance: unchecked((ulong)reader.GetInt64(2)),
                    Version: reader.GetString(3),
                    TaskId: reader.GetString(4),
                    FirstSeen: Utc(reader.GetDateTime(5)),
                    LastSeen: Utc(reader.GetDateTime(6)),
                    State: reader.GetString(7),
                    Final: reader.GetBoolean(8),
                    Instances: reader.GetInt32(9),
                    PersistedEvents: reader.GetInt64(10),
                    GapEvents: reader.GetInt64(11),
                    PersistDrops: reader.GetInt64(12),
                    SendDrops: reader.GetInt64(13),
                    KernelDrops: k1 + k2 + k3,
                    KernelDropsByReason: [k1, k2, k3]);
                var machine = reader.GetString(0);
                if (!collectors.TryGetValue(machine, out var list))
                    collectors[machine] = list = [];
                list.Add(summary);
            }
        }

        var machines = new List<MachineSummary>();
        await using (var cmd = _dataSource.CreateCommand("SELECT id, hostname, versions::text, first_seen, last_seen FROM scope.machines ORDER BY id"))
        await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var id = reader.GetString(0);
                machines.Add(new MachineSummary(
                    id,
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    ParseVersions(reader.GetString(2)),
                    Utc(reader.GetDateTime(3)),
                    Utc(reader.GetDateTime(4)),
                    collectors.TryGetValue(id, out var list) ? list : []));
            }
        }
        return machines;
    }

    /// <summary>Processes, newest first (by start time, else first sighting).</summary>
    public async Task<IReadOnlyList<ProcessInfo>> ListProcessesAsync(ProcessQuery query, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var cmd = _dataSource.CreateCommand();
        var where = new List<string>();
        if (query.MachineId is not null)
        {
            where.Add("machine_id = @machine");
            cmd.Parameters.AddWithValue("machine", query.MachineId);
        }
        if (query.Pid is { } pid)
        {
            where.Add("pid = @pid");
            cmd.Parameters.AddWithValue("pid", pid);
        }
        if (query.Comm is not null)
        {
            where.Add("comm = @comm");
            cmd.Parameters.AddWithValue("comm", query.Comm);
        }
        // Alive at some point in [From, To]: started by To and not gone before From.
        if (query.To is { } to)
        {
            where.Add("coalesce(start_time, first_seen) <= @to");
            cmd.Parameters.AddWithValue("to", to.UtcDateTime);
        }
        if (query.From is { } from)
        {
            where.Add("coalesce(exit_time, last_seen) >= @from");
            cmd.Parameters.AddWithValue("from", from.UtcDateTime);
        }
        cmd.Parameters.AddWithValue("limit", ClampLimit(query.Limit));
        cmd.CommandText = $"""
            SELECT {ProcessColumns} FROM scope.processes
            {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}
            ORDER BY coalesce(start_time, first_seen) DESC, machine_id, pid, start_ns DESC
            LIMIT @limit
            """;
        var list = new List<ProcessInfo>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            list.Add(ReadProcess(reader));
        return list;
    }

    public async Task<ProcessInfo?> GetProcessAsync(string machineId, int pid, ulong startNs, CancellationToken ct = default)
    {
        await using var cmd = _dataSource.CreateCommand($"SELECT {ProcessColumns} FROM scope.processes WHERE machine_id = @m AND pid = @pid AND start_ns = @sns");
        cmd.Parameters.AddWithValue("m", machineId);
        cmd.Parameters.AddWithValue("pid", pid);
        cmd.Parameters.AddWithValue("sns", unchecked((long)startNs));
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadProcess(reader) : null;
    }

    public async Task<IReadOnlyList<SyscallStat>> GetSyscallsAsync(string machineId, int pid, ulong startNs, CancellationToken ct = default)
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT nr, count, errors, total_ns, hist, final, updated_at FROM scope.syscall_stats
            WHERE machine_id = @m AND pid = @pid AND start_ns = @sns
            ORDER BY nr
            """);
        cmd.Parameters.AddWithValue("m", machineId);
        cmd.Parameters.AddWithValue("pid", pid);
        cmd.Parameters.AddWithValue("sns", unchecked((long)startNs));
        var list = new List<SyscallStat>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            uint[]? hist = null;
            if (!reader.IsDBNull(4))
            {
                // Stored as integer[]: the u32 buckets reinterpreted.
                var stored = reader.GetFieldValue<int[]>(4);
                hist = new uint[stored.Length];
                for (int i = 0; i < stored.Length; i++)
                    hist[i] = unchecked((uint)stored[i]);
            }
            list.Add(new SyscallStat(reader.GetInt16(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), hist,
                reader.GetBoolean(5), Utc(reader.GetDateTime(6))));
        }
        return list;
    }

    /// <summary>Whether the machine has registered (scope.machines).</summary>
    public async Task<bool> MachineExistsAsync(string machineId, CancellationToken ct = default)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM scope.machines WHERE id = @m)");
        cmd.Parameters.AddWithValue("m", machineId);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    /// <summary>
    /// Events in (time, instance, event_index) order, a page at a time: pass the previous page's
    /// NextCursor to continue after its last row. Throws <see cref="FormatException"/> for a cursor
    /// this did not issue.
    /// </summary>
    public Task<EventPage> ListEventsAsync(EventQuery query, CancellationToken ct = default) => ListEventsAsync(query, null, ct);

    /// <summary>
    /// As <see cref="ListEventsAsync(EventQuery, CancellationToken)"/>, and with <paramref name="taskId"/>
    /// only the events of that monitoring task: those of the collector runs whose batches carried its
    /// task_id (scope.collectors.task_id, written with the events in the same transaction).
    /// </summary>
    public async Task<EventPage> ListEventsAsync(EventQuery query, string? taskId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        int limit = ClampLimit(query.Limit);
        await using var cmd = _dataSource.CreateCommand();
        var where = new List<string>();
        if (taskId is not null)
        {
            where.Add("(machine_id, collector_id, instance) IN (SELECT machine_id, collector_id, instance FROM scope.collectors WHERE task_id = @task)");
            cmd.Parameters.AddWithValue("task", taskId);
        }
        if (query.MachineId is not null)
        {
            where.Add("machine_id = @machine");
            cmd.Parameters.AddWithValue("machine", query.MachineId);
        }
        if (query.Pid is { } pid)
        {
            where.Add("pid = @pid");
            cmd.Parameters.AddWithValue("pid", pid);
        }
        if (query.StartNs is { } startNs)
        {
            where.Add("start_ns = @sns");
            cmd.Parameters.AddWithValue("sns", unchecked((long)startNs));
        }
        if (query.Type is { } type)
        {
            // A type beyond smallint matches nothing rather than failing the request.
            where.Add(type is >= short.MinValue and <= short.MaxValue ? "type = @type" : "false");
            cmd.Parameters.Add(new NpgsqlParameter<short>("type", NpgsqlDbType.Smallint) { TypedValue = unchecked((short)type) });
        }
        if (query.From is { } from)
        {
            where.Add("time >= @from");
            cmd.Parameters.AddWithValue("from", from.UtcDateTime);
        }
        if (query.To is { } to)
        {
            where.Add("time < @to");
            cmd.Parameters.AddWithValue("to", to.UtcDateTime);
        }
        if (query.Cursor is not null)
        {
            var (time, instance, index) = DecodeCursor(query.Cursor);
            where.Add("(time, instance, event_index) > (@ct, @ci, @ce)");
            cmd.Parameters.AddWithValue("ct", time);
            cmd.Parameters.AddWithValue("ci", instance);
            cmd.Parameters.AddWithValue("ce", index);
        }
        // One row more than asked tells whether there is a next page.
        cmd.Parameters.AddWithValue("limit", limit + 1);
        cmd.CommandText = $"""
            SELECT time, ts_ns, machine_id, collector_id, instance, event_index, pid, tid, start_ns, comm, type, nr, ret, dur_ns, record
            FROM scope.events
            {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}
            ORDER BY time, instance, event_index
            LIMIT @limit
            """;

        var rows = new List<EventRow>(Math.Min(limit, 256));
        bool more = false;
        DateTime lastTime = default;
        long lastInstance = 0, lastIndex = 0;
        await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                if (rows.Count == limit)
                {
                    more = true;
                    break;
                }
                lastTime = reader.GetDateTime(0);
                lastInstance = reader.GetInt64(4);
                lastIndex = reader.GetInt64(5);
                rows.Add(new EventRow(
                    Time: Utc(lastTime),
                    TsNs: unchecked((ulong)reader.GetInt64(1)),
                    MachineId: reader.GetString(2),
                    CollectorId: reader.GetString(3),
                    Instance: unchecked((ulong)lastInstance),
                    EventIndex: unchecked((ulong)lastIndex),
                    Pid: reader.GetInt32(6),
                    Tid: reader.GetInt32(7),
                    StartNs: unchecked((ulong)reader.GetInt64(8)),
                    Comm: reader.GetString(9),
                    Type: reader.GetInt16(10),
                    Nr: reader.IsDBNull(11) ? null : reader.GetInt16(11),
                    Ret: reader.IsDBNull(12) ? null : reader.GetInt64(12),
                    DurNs: reader.IsDBNull(13) ? null : unchecked((ulong)reader.GetInt64(13)),
                    Record: reader.GetFieldValue<byte[]>(14)));
            }
        }
        return new EventPage(rows, more ? EncodeCursor(lastTime, lastInstance, lastIndex) : null);
    }

    /// <summary>
    /// A process's stored records of types 3 and 8-14 (its exit; its CUDA calls, registrations, stacks
    /// and symbols; its Python samples, code names and exact calls): each collector run's in the order
    /// the run produced them, runs in the order they started. What a process grain rebuilds its CUDA
    /// ledger and Python profile from.
    /// </summary>
    public async IAsyncEnumerable<StoredProcessRecord> ReadGrainRecordsAsync(
        string machineId, int pid, ulong startNs, [EnumeratorCancellation] CancellationToken ct = default)
    {
        // The type list is the predicate of the events_grain_process index, written the same way so
        // the planner uses it.
        await using var cmd = _dataSource.CreateCommand("""
            SELECT collector_id, instance, event_index, ts_ns, time, record FROM scope.events
            WHERE machine_id = @m AND pid = @pid AND start_ns = @sns
              AND type IN (3, 8, 9, 10, 11, 12, 13, 14)
            ORDER BY min(time) OVER (PARTITION BY collector_id, instance), collector_id, instance, event_index
            """);
        cmd.Parameters.AddWithValue("m", machineId);
        cmd.Parameters.AddWithValue("pid", pid);
        cmd.Parameters.AddWithValue("sns", unchecked((long)startNs));
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            yield return new StoredProcessRecord(
                reader.GetString(0),
                unchecked((ulong)reader.GetInt64(1)),
                unchecked((ulong)reader.GetInt64(2)),
                unchecked((ulong)reader.GetInt64(3)),
                Utc(reader.GetDateTime(4)),
                reader.GetFieldValue<byte[]>(5));
        }
    }

    /// <summary>
    /// A process's stored Python records, as a <see cref="Scope.Events.PythonProfile"/> takes them: first
    /// every python_code record (type 13) whatever the range, because the names of the frames sampled in
    /// the range may have been sent long before it; then its samples (type 12, less the stacks taken at
    /// CUDA calls, flag 4) and/or exact calls (type 14) with from &lt;= time &lt; to, each collector run's
    /// in the order the run produced them, runs in the order they started. At most
    /// <paramref name="maxRecords"/> samples and calls: <paramref name="cap"/> says whether there were more.
    /// </summary>
    public async IAsyncEnumerable<byte[]> ReadPythonRecordsAsync(
        string machineId, int pid, ulong startNs, DateTimeOffset? from, DateTimeOffset? to, int maxRecords,
        PythonRecordKinds kinds, ReadCap cap, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(cap);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRecords);
        const string order = "ORDER BY min(time) OVER (PARTITION BY collector_id, instance), collector_id, instance, event_index";
        if ((kinds & PythonRecordKinds.Samples) != 0)
        {
            await using var names = _dataSource.CreateCommand($"""
                SELECT record FROM scope.events
                WHERE machine_id = @m AND pid = @pid AND start_ns = @sns AND type = 13
                {order}
                """);
            names.Parameters.AddWithValue("m", machineId);
            names.Parameters.AddWithValue("pid", pid);
            names.Parameters.AddWithValue("sns", unchecked((long)startNs));
            await using var reader = await names.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                yield return reader.GetFieldValue<byte[]>(0);
        }

        var types = new List<string>(2);
        if ((kinds & PythonRecordKinds.Samples) != 0)
            types.Add("(type = 12 AND get_byte(record, 50) & 4 = 0)");
        if ((kinds & PythonRecordKinds.Calls) != 0)
            types.Add("type = 14");
        if (types.Count == 0)
            yield break;
        await using var cmd = _dataSource.CreateCommand();
        var where = new List<string> { "machine_id = @m", "pid = @pid", "start_ns = @sns", $"({string.Join(" OR ", types)})" };
        cmd.Parameters.AddWithValue("m", machineId);
        cmd.Parameters.AddWithValue("pid", pid);
        cmd.Parameters.AddWithValue("sns", unchecked((long)startNs));
        await foreach (var record in ReadCappedRecordsAsync(cmd, where, from, to, order, maxRecords, cap, ct).ConfigureAwait(false))
            yield return record;
    }

    /// <summary>
    /// The record column of scope.events rows matching <paramref name="where"/> and from &lt;= time &lt; to,
    /// in <paramref name="order"/>, at most <paramref name="maxRecords"/> (<paramref name="cap"/> says
    /// whether there were more). The command carries the parameters <paramref name="where"/> uses.
    /// </summary>
    private static async IAsyncEnumerable<byte[]> ReadCappedRecordsAsync(
        NpgsqlCommand cmd, List<string> where, DateTimeOffset? from, DateTimeOffset? to, string order, int maxRecords,
        ReadCap cap, [EnumeratorCancellation] CancellationToken ct)
    {
        if (from is { } f)
        {
            where.Add("time >= @from");
            cmd.Parameters.AddWithValue("from", f.UtcDateTime);
        }
        if (to is { } t)
        {
            where.Add("time < @to");
            cmd.Parameters.AddWithValue("to", t.UtcDateTime);
        }
        // One row more than allowed tells whether the cap was hit.
        cmd.Parameters.AddWithValue("limit", (long)maxRecords + 1);
        cmd.CommandText = $"""
            SELECT record FROM scope.events
            WHERE {string.Join(" AND ", where)}
            {order}
            LIMIT @limit
            """;
        int n = 0;
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            if (n++ == maxRecords)
            {
                cap.Hit = true;
                yield break;
            }
            yield return reader.GetFieldValue<byte[]>(0);
        }
    }

    private const string ProcessColumns =
        "machine_id, pid, start_ns, comm, ppid, uid, cgroup_id, filename, argv, start_time, exit_time, exit_code, signal, first_seen, last_seen";

    private static ProcessInfo ReadProcess(NpgsqlDataReader reader) => new(
        MachineId: reader.GetString(0),
        Pid: reader.GetInt32(1),
        StartNs: unchecked((ulong)reader.GetInt64(2)),
        Comm: reader.GetString(3),
        Ppid: reader.IsDBNull(4) ? null : reader.GetInt32(4),
        Uid: reader.IsDBNull(5) ? null : reader.GetInt64(5),
        CgroupId: reader.IsDBNull(6) ? null : (ulong)reader.GetDecimal(6),
        Filename: reader.IsDBNull(7) ? null : reader.GetString(7),
        Argv: reader.IsDBNull(8) ? null : reader.GetFieldValue<string[]>(8),
        StartTime: reader.IsDBNull(9) ? null : Utc(reader.GetDateTime(9)),
        ExitTime: reader.IsDBNull(10) ? null : Utc(reader.GetDateTime(10)),
        ExitCode: reader.IsDBNull(11) ? null : reader.GetInt32(11),
        Signal: reader.IsDBNull(12) ? null : reader.GetInt32(12),
        FirstSeen: Utc(reader.GetDateTime(13)),
        LastSeen: Utc(reader.GetDateTime(14)));

    private static int ClampLimit(int limit) => limit <= 0 ? 100 : Math.Min(limit, MaxLimit);

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    private static Dictionary<string, string> ParseVersions(string json)
    {
        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            return versions;
        foreach (var p in doc.RootElement.EnumerateObject())
            versions[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        return versions;
    }

    // The cursor is the last row's sort key: version byte, then time (µs since the epoch, what
    // timestamptz holds), the stored (signed) instance and event_index, little-endian, base64url.
    internal static string EncodeCursor(DateTime time, long instance, long eventIndex)
    {
        Span<byte> bytes = stackalloc byte[25];
        bytes[0] = CursorVersion;
        BinaryPrimitives.WriteInt64LittleEndian(bytes[1..], (time.Ticks - DateTime.UnixEpoch.Ticks) / 10);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[9..], instance);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[17..], eventIndex);
        return Base64Url.EncodeToString(bytes);
    }

    internal static (DateTime Time, long Instance, long EventIndex) DecodeCursor(string cursor)
    {
        Span<byte> bytes = stackalloc byte[32];
        if (cursor.Length > 40
            || !Base64Url.TryDecodeFromChars(cursor, bytes, out int written)
            || written != 25 || bytes[0] != CursorVersion)
            throw new FormatException("invalid cursor");
        long micros = BinaryPrimitives.ReadInt64LittleEndian(bytes[1..]);
        const long maxMicros = (long)(3155378975999999999 / 10) - 62135596800000000; // DateTime.MaxValue in µs since the epoch
        const long minMicros = -62135596800000000;
        if (micros < minMicros || micros > maxMicros)
            throw new FormatException("invalid cursor");
        var time = new DateTime(DateTime.UnixEpoch.Ticks + (micros * 10), DateTimeKind.Utc);
        return (time, BinaryPrimitives.ReadInt64LittleEndian(bytes[9..]), BinaryPrimitives.ReadInt64LittleEndian(bytes[17..]));
    }
}

/// <summary>Which of a process's Python records <see cref="ScopeReadStore.ReadPythonRecordsAsync"/> reads.</summary>
[Flags]
public enum PythonRecordKinds
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Samples (type 12, not those taken at CUDA calls), and every code name (type 13).</summary>
    Samples = 1,

    /// <summary>Exact calls (type 14).</summary>
    Calls = 2,
}

/// <summary>Filled in by a capped read: whether rows were left out.</summary>
public sealed class ReadCap
{
    /// <summary>There were more rows than the read allowed.</summary>
    public bool Hit { get; internal set; }
}
