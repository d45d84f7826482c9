using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Scope.Abstractions;

namespace Scope.Silo.Storage;

/// <summary>
/// Writes batches to PostgreSQL. Callers enqueue into a buffer bounded by payload bytes
/// (<see cref="StorageOptions.BufferMb"/>); one background loop drains it in group-committed
/// transactions (<see cref="FlushTransaction"/>), in queue order, so one collector run's batches
/// commit in the order they were enqueued. While PostgreSQL is unreachable the buffer holds what
/// it can and the loop retries; what does not fit is dropped and accounted in
/// collectors.persist_drops once the database is back.
/// </summary>
public sealed partial class PersistenceWriter : IHostedService, IDisposable
{
    public const string MeterName = "Scope.Silo";

    private static readonly TimeSpan MaxEnqueueWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly StorageOptions _options;
    private readonly ILogger<PersistenceWriter> _logger;
    private readonly TimeProvider _time;
    private readonly Migrator? _migrator;
    private readonly long _capacity;
    private readonly TimeSpan _flushInterval;

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _rowsWritten;
    private readonly Counter<long> _batchesDropped;
    private readonly Counter<long> _recordsDropped;

    private readonly Lock _lock = new();
    private readonly LinkedList<QueueItem> _queue = new();
    // Admits callers that must wait for room one at a time, in arrival order, so a later batch of
    // a collector run can never overtake an earlier one that is waiting.
    private readonly SemaphoreSlim _admission = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abort = new();
    private Task? _loop;
    private TaskCompletionSource _itemAvailable = NewSignal();
    private TaskCompletionSource _roomAvailable = NewSignal();
    private Dictionary<CollectorKey, DropAccount> _drops = [];
    private readonly Dictionary<CollectorKey, Pending> _pending = [];
    private long _queueBytes;       // waiting and in flight: released only once committed
    private long _waitingRecords;   // waiting only: decides when a flush is full
    private int _waitingForRoom;
    private long _recordsWrittenTotal;
    private long _recordsDroppedTotal;
    private long _batchesDroppedTotal;
    private int _disposed;

    public PersistenceWriter(NpgsqlDataSource dataSource, IOptions<StorageOptions> options, ILogger<PersistenceWriter> logger,
        IMeterFactory? meterFactory = null, TimeProvider? time = null, Migrator? migrator = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _dataSource = dataSource;
        _options = options.Value;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _migrator = migrator;
        _capacity = Math.Max(1, _options.BufferBytes);
        _flushInterval = TimeSpan.FromMilliseconds(Math.Max(0, _options.FlushIntervalMs));

        if (meterFactory is not null)
        {
            _meter = meterFactory.Create(MeterName);
        }
        else
        {
            _meter = new Meter(MeterName);
            _ownsMeter = true;
        }
        _rowsWritten = _meter.CreateCounter<long>("scope.storage.rows_written", "{row}", "Event rows written to scope.events");
        _batchesDropped = _meter.CreateCounter<long>("scope.storage.batches_dropped", "{batch}", "Batches dropped before reaching the database: buffer full, or refused by it");
        _recordsDropped = _meter.CreateCounter<long>("scope.storage.records_dropped", "{record}", "Records in batches dropped before reaching the database");
        _meter.CreateObservableGauge("scope.storage.queue_bytes", () => QueueBytes, "By", "Payload bytes waiting to be written");
    }

    /// <summary>Payload bytes accepted and not yet committed.</summary>
    public long QueueBytes => Interlocked.Read(ref _queueBytes);

    /// <summary>Records committed to the database (all record types) since start.</summary>
    public long RecordsWritten => Interlocked.Read(ref _recordsWrittenTotal);

    /// <summary>Records dropped since start: buffer full, or a batch the database refused.</summary>
    public long RecordsDropped => Interlocked.Read(ref _recordsDroppedTotal);

    /// <summary>Batches dropped since start.</summary>
    public long BatchesDropped => Interlocked.Read(ref _batchesDroppedTotal);

    /// <summary>
    /// Queues a batch for writing. Returns false when it was dropped because the buffer stayed full
    /// for about a second; the drop is then counted against its collector run.
    /// </summary>
    public async ValueTask<bool> EnqueueAsync(EventBatch batch, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var key = CollectorKey.Of(batch);
        long size = batch.Payload.Length;
        if (size > _capacity)
        {
            Drop(key, batch);
            return false;
        }

        lock (_lock)
        {
            if (_waitingForRoom == 0 && TryAdmit(key, batch, size))
                return true;
            _waitingForRoom++;
        }

        long started = _time.GetTimestamp();
        try
        {
            if (!await _admission.WaitAsync(MaxEnqueueWait, ct).ConfigureAwait(false))
            {
                Drop(key, batch);
                return false;
            }
            try
            {
                while (true)
                {
                    Task room;
                    lock (_lock)
                    {
                        if (TryAdmit(key, batch, size))
                            return true;
                        if (_roomAvailable.Task.IsCompleted)
                            _roomAvailable = NewSignal();
                        room = _roomAvailable.Task;
                    }
                    var left = MaxEnqueueWait - _time.GetElapsedTime(started);
                    if (left <= TimeSpan.Zero)
                        break;
                    try
                    {
                        await room.WaitAsync(left, _time, ct).ConfigureAwait(false);
                    }
                    catch (TimeoutException)
                    {
                        // Checked once more above, then dropped.
                    }
                }
            }
            finally
            {
                _admission.Release();
            }
            Drop(key, batch);
            return false;
        }
        finally
        {
            lock (_lock)
                _waitingForRoom--;
        }
    }

    /// <summary>
    /// Records a collector run's state (e.g. "exited", "lost"). It is applied after every batch
    /// queued before it, so a batch still in the queue cannot overwrite it; the task completes once
    /// committed (cancelling the wait does not withdraw the change).
    /// </summary>
    public Task MarkCollectorAsync(string machineId, string collectorId, ulong instance, string state, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(machineId);
        ArgumentException.ThrowIfNullOrEmpty(collectorId);
        ArgumentException.ThrowIfNullOrEmpty(state);
        var item = new QueueItem
        {
            Mark = (new CollectorKey(WireRecords.Clean(machineId), WireRecords.Clean(collectorId), instance), WireRecords.Clean(state)),
            Done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
            EnqueuedAt = _time.GetTimestamp(),
        };
        lock (_lock)
        {
            _queue.AddLast(item);
            SignalItem();
        }
        return item.Done.Task.WaitAsync(ct);
    }

    /// <summary>
    /// Closes a collector run from its final account (a run whose silo died): the run is accounted for up
    /// to <paramref name="nextEvent"/>, and <paramref name="lost"/> records of it were lost in flight.
    /// Written directly: no batch of a run whose collector is gone can be queued behind it.
    /// </summary>
    public async Task RecordFinalAsync(string machineId, string collectorId, ulong instance, ulong nextEvent, ulong sendDrops, ulong lost, CancellationToken ct)
    {
        if (_migrator is not null)
            await _migrator.WaitAsync(ct).ConfigureAwait(false);
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO scope.collectors AS c (machine_id, collector_id, instance, next_event, gap_events, send_drops, final, state)
            VALUES (@m, @c, @i, @next, @lost, @drops, true, CASE WHEN @lost > 0 THEN 'lost' ELSE 'gone' END)
            ON CONFLICT (machine_id, collector_id, instance) DO UPDATE
            SET next_event = greatest(c.next_event, EXCLUDED.next_event),
                gap_events = c.gap_events + EXCLUDED.gap_events,
                send_drops = greatest(c.send_drops, EXCLUDED.send_drops),
                state = CASE WHEN EXCLUDED.gap_events > 0 THEN 'lost' WHEN c.state = 'running' THEN 'gone' ELSE c.state END
            """);
        cmd.Parameters.AddWithValue("m", WireRecords.Clean(machineId));
        cmd.Parameters.AddWithValue("c", WireRecords.Clean(collectorId));
        cmd.Parameters.AddWithValue("i", unchecked((long)instance));
        cmd.Parameters.AddWithValue("next", unchecked((long)nextEvent));
        cmd.Parameters.AddWithValue("drops", unchecked((long)sendDrops));
        cmd.Parameters.AddWithValue("lost", unchecked((long)lost));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Where a collector run stands: the next event index accounted for (persisted, reported lost or
    /// dropped here, including batches still queued in this process) and its cumulative send drops.
    /// Null when nothing of that run is known.
    /// </summary>
    public async Task<CollectorWatermark?> GetWatermarkAsync(string machineId, string collectorId, ulong instance, CancellationToken ct)
    {
        var key = new CollectorKey(WireRecords.Clean(machineId), WireRecords.Clean(collectorId), instance);
        // Memory first: a commit between the two reads then only moves the database ahead.
        Pending? pending = null;
        lock (_lock)
        {
            if (_pending.TryGetValue(key, out var p))
                pending = p with { };
        }
        if (_migrator is not null)
            await _migrator.WaitAsync(ct).ConfigureAwait(false);

        CollectorWatermark? stored = null;
        await using (var cmd = _dataSource.CreateCommand("""
            SELECT next_event, send_drops, last_sequence FROM scope.collectors
            WHERE machine_id = @m AND collector_id = @c AND instance = @i
            """))
        {
            cmd.Parameters.AddWithValue("m", key.MachineId);
            cmd.Parameters.AddWithValue("c", key.CollectorId);
            cmd.Parameters.AddWithValue("i", unchecked((long)instance));
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (await reader.ReadAsync(ct).ConfigureAwait(false))
                stored = new CollectorWatermark(unchecked((ulong)reader.GetInt64(0)), unchecked((ulong)reader.GetInt64(1)), unchecked((ulong)reader.GetInt64(2)));
        }

        if (pending is null)
            return stored;
        if (stored is null)
            return new CollectorWatermark(pending.EndEvent, pending.SendDrops, pending.LastSequence);
        return new CollectorWatermark(
            Math.Max(stored.NextEvent, pending.EndEvent),
            Math.Max(stored.SendDrops, pending.SendDrops),
            Math.Max(stored.LastSequence, pending.LastSequence));
    }

    /// <summary>Records a machine's hostname and component versions (merged into what is known).</summary>
    public async Task UpsertMachineAsync(string id, string? hostname, IReadOnlyDictionary<string, string> versions, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(versions);
        if (_migrator is not null)
            await _migrator.WaitAsync(ct).ConfigureAwait(false);
        var clean = versions.ToDictionary(kv => WireRecords.Clean(kv.Key), kv => WireRecords.Clean(kv.Value), StringComparer.Ordinal);
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO scope.machines AS m (id, hostname, versions, first_seen, last_seen)
            VALUES (@id, @hostname, @versions::jsonb, now(), now())
            ON CONFLICT (id) DO UPDATE SET
                hostname = coalesce(excluded.hostname, m.hostname),
                versions = m.versions || excluded.versions,
                last_seen = greatest(m.last_seen, excluded.last_seen)
            """);
        cmd.Parameters.AddWithValue("id", WireRecords.Clean(id));
        cmd.Parameters.Add(new NpgsqlParameter<string?>("hostname", hostname is null ? null : WireRecords.Clean(hostname)));
        cmd.Parameters.AddWithValue("versions", JsonSerializer.Serialize(clean));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Starts the write loop.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Not BackgroundService: its loop may never start when the host stops right after starting
        // (the task is cancelled before it runs), and then nothing would drain the buffer.
        _loop ??= Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes what is buffered, then stops. The host's shutdown timeout (<paramref name="cancellationToken"/>)
    /// is what cuts the draining short.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loop is null)
            return;
        await using var reg = cancellationToken.Register(static s => ((CancellationTokenSource)s!).Cancel(), _abort).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The loop sees _abort and gives up on its own.
        }
    }

    public void Dispose()
    {
        // Registered both as itself and as a hosted service, so the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stopping.Cancel();
        _abort.Cancel();
        // The loop ends promptly once aborted; waiting keeps it from touching disposed state.
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Already logged by the loop.
        }
        _stopping.Dispose();
        _abort.Dispose();
        _admission.Dispose();
        if (_ownsMeter)
            _meter.Dispose();
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (_migrator is not null)
            {
                try
                {
                    await _migrator.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    LogLostAtShutdown(_logger, QueueBytes);
                    return;
                }
            }

            while (await NextWorkAsync(stoppingToken).ConfigureAwait(false) is { } work)
            {
                if (!await WriteWithRetryAsync(work).ConfigureAwait(false))
                {
                    LogLostAtShutdown(_logger, QueueBytes);
                    AbandonStateChanges(work);
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            // A bug: every failure the loop expects is handled inside it.
            LogLoopFailed(_logger, ex);
            throw;
        }
    }

    /// <summary>Fails the callers still waiting for state changes that will not be written.</summary>
    private void AbandonStateChanges(Work unwritten)
    {
        List<QueueItem> items;
        lock (_lock)
        {
            items = [.. unwritten.Items, .. _queue];
            _queue.Clear();
        }
        foreach (var item in items)
            item.Done?.TrySetCanceled();
    }

    /// <summary>
    /// Waits until a flush is due: the oldest waiting item has waited FlushIntervalMs, or
    /// MaxBatchRecords are waiting, or the host is stopping. Null once stopping with nothing left.
    /// </summary>
    private async Task<Work?> NextWorkAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            Task signal;
            TimeSpan wait = Timeout.InfiniteTimeSpan;
            lock (_lock)
            {
                bool stopping = stoppingToken.IsCancellationRequested;
                if (_queue.Count > 0)
                {
                    var age = _time.GetElapsedTime(_queue.First!.Value.EnqueuedAt);
                    if (stopping || _waitingRecords >= _options.MaxBatchRecords || age >= _flushInterval)
                        return TakeWork();
                    wait = _flushInterval - age;
                }
                else if (_drops.Count > 0)
                {
                    return TakeWork();
                }
                else if (stopping)
                {
                    return null;
                }
                if (_itemAvailable.Task.IsCompleted)
                    _itemAvailable = NewSignal();
                signal = _itemAvailable.Task;
            }
            try
            {
                await signal.WaitAsync(wait, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The oldest item is due.
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: drain what is left.
            }
        }
    }

    private Work TakeWork()
    {
        var items = new List<QueueItem>();
        long records = 0;
        while (_queue.First is { } node)
        {
            var item = node.Value;
            if (item.Batch is { } b)
            {
                if (items.Count > 0 && records + b.RecordCount > _options.MaxBatchRecords)
                    break;
                records += b.RecordCount;
            }
            _queue.RemoveFirst();
            items.Add(item);
            // A state change ends the transaction, so it lands after the batches queued before it
            // and before those queued after it.
            if (item.Mark is not null)
                break;
        }
        _waitingRecords -= records;
        var drops = _drops;
        _drops = [];
        return new Work(items, drops);
    }

    /// <summary>Writes one unit of work, retrying while the database is unreachable. False when shutdown cut it short.</summary>
    private async Task<bool> WriteWithRetryAsync(Work work)
    {
        var delay = FirstRetry;
        long failingSince = 0;
        int attempts = 0;
        while (true)
        {
            try
            {
                await WriteAsync(work, _abort.Token).ConfigureAwait(false);
                if (attempts > 0)
                {
                    var outage = _time.GetElapsedTime(failingSince);
                    LogRecovered(_logger, attempts, outage.TotalSeconds);
                }
                return true;
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception ex) when (IsPoison(ex))
            {
                await WriteApartAsync(work, ex).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (attempts++ == 0)
                {
                    failingSince = _time.GetTimestamp();
                    LogUnavailable(_logger, QueueBytes, ex);
                }
                else
                {
                    LogStillUnavailable(_logger, attempts, ex.Message);
                }
                // The pool's idle connections died with the server; do not hand them out again.
                _dataSource.Clear();
            }

            try
            {
                await Task.Delay(delay, _time, _abort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            delay = delay * 2 < MaxRetry ? delay * 2 : MaxRetry;
        }
    }

    /// <summary>
    /// PostgreSQL refused the data itself (a bad value, a constraint): retrying the same transaction
    /// forever would stall every collector, so the batches are written one by one and the ones it
    /// refuses alone are dropped and accounted.
    /// </summary>
    private async Task WriteApartAsync(Work work, Exception cause)
    {
        if (work.Batches.Count == 0)
        {
            // Only accounting and a state change, and still refused: nothing left to split. The
            // counters are lost (logged); the caller waiting for the state change hears of it.
            LogAccountingRefused(_logger, work.Drops.Values.Sum(d => d.Records), cause);
            foreach (var item in work.Items)
                item.Done?.TrySetException(cause);
            return;
        }
        if (work.Batches.Count == 1)
        {
            foreach (var item in work.Items)
            {
                if (item.Batch is { } b)
                {
                    LogRefused(_logger, b.MachineId, b.CollectorId, b.Instance, b.Sequence, cause);
                    lock (_lock)
                    {
                        DropLocked(item.Key, b);
                        Release(item);
                    }
                }
            }
            // What else was in it (drops to account, a state change) is not to blame: keep it.
            var rest = new Work(work.Items.Where(i => i.Batch is null).ToList(), work.Drops);
            if (rest.Items.Count > 0 || rest.Drops.Count > 0)
                await WriteWithRetryAsync(rest).ConfigureAwait(false);
            return;
        }
        bool first = true;
        foreach (var item in work.Items)
        {
            var single = new Work([item], first ? work.Drops : []);
            first = false;
            if (!await WriteWithRetryAsync(single).ConfigureAwait(false))
                return;
        }
    }

    /// <summary>
    /// Whether the data is to blame rather than the database being unreachable: PostgreSQL refused a
    /// value or a constraint, or this code failed on the batch (an exception that is no database or
    /// I/O error). Anything else is retried.
    /// </summary>
    private static bool IsPoison(Exception ex) => ex switch
    {
        PostgresException pg => pg.SqlState.StartsWith("22", StringComparison.Ordinal)   // data exception
            || pg.SqlState.StartsWith("23", StringComparison.Ordinal)                    // integrity constraint violation
            || pg.SqlState.StartsWith("54", StringComparison.Ordinal),                   // program limit exceeded
        NpgsqlException or TimeoutException or IOException or OperationCanceledException or ObjectDisposedException => false,
        _ => true,
    };

    private async Task WriteAsync(Work work, CancellationToken ct)
    {
        var flush = new FlushTransaction(work.Batches, work.Drops, work.Mark);
        var started = Stopwatch.GetTimestamp();
        await using (var conn = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false))
            await flush.ExecuteAsync(conn, ct).ConfigureAwait(false);

        if (flush.DuplicateBatches > 0)
            LogDuplicates(_logger, flush.DuplicateBatches);
        if (flush.MalformedBatches > 0)
            LogMalformed(_logger, flush.MalformedBatches);
        var took = Stopwatch.GetElapsedTime(started);
        LogWritten(_logger, work.Batches.Count, flush.RecordsPersisted, flush.EventRows, took.TotalMilliseconds);

        _rowsWritten.Add(flush.EventRows);
        Interlocked.Add(ref _recordsWrittenTotal, flush.RecordsPersisted);
        lock (_lock)
        {
            foreach (var item in work.Items)
                Release(item);
            foreach (var (key, drop) in work.Drops)
                Settle(key, drop.Batches);
        }
        foreach (var item in work.Items)
            item.Done?.TrySetResult();
    }

    private bool TryAdmit(CollectorKey key, EventBatch batch, long size)
    {
        if (_queueBytes + size > _capacity)
            return false;
        _queue.AddLast(new QueueItem { Batch = batch, Key = key, EnqueuedAt = _time.GetTimestamp() });
        Interlocked.Add(ref _queueBytes, size);
        _waitingRecords += batch.RecordCount;
        Track(key, batch);
        SignalItem();
        return true;
    }

    /// <summary>Accounts a batch that cannot be written (its records are counted as dropped, as when the buffer is full).</summary>
    public void CountAsDropped(EventBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        Drop(CollectorKey.Of(batch), batch);
    }

    private void Drop(CollectorKey key, EventBatch batch)
    {
        lock (_lock)
            DropLocked(key, batch);
    }

    private void DropLocked(CollectorKey key, EventBatch batch)
    {
        if (!_drops.TryGetValue(key, out var account))
            _drops[key] = account = new DropAccount();
        account.Add(batch);
        Track(key, batch);
        // The loop accounts drops in a transaction of their own when nothing else is queued.
        SignalItem();
        Interlocked.Add(ref _recordsDroppedTotal, batch.RecordCount);
        Interlocked.Increment(ref _batchesDroppedTotal);
        _batchesDropped.Add(1);
        _recordsDropped.Add(batch.RecordCount);
        LogDropped(_logger, key.MachineId, key.CollectorId, key.Instance, batch.Sequence, batch.RecordCount);
    }

    /// <summary>Remembers a batch not yet accounted in the database, for <see cref="GetWatermarkAsync"/>.</summary>
    private void Track(CollectorKey key, EventBatch batch)
    {
        if (!_pending.TryGetValue(key, out var p))
            _pending[key] = p = new Pending();
        p.Outstanding++;
        p.EndEvent = Math.Max(p.EndEvent, batch.FirstEvent + (ulong)batch.RecordCount);
        p.SendDrops = Math.Max(p.SendDrops, batch.SendDrops);
        p.LastSequence = Math.Max(p.LastSequence, batch.Sequence);
    }

    private void Settle(CollectorKey key, long batches)
    {
        if (_pending.TryGetValue(key, out var p) && (p.Outstanding -= batches) <= 0)
            _pending.Remove(key);
    }

    private void Release(QueueItem item)
    {
        if (item.Batch is not { } b)
            return;
        Interlocked.Add(ref _queueBytes, -b.Payload.Length);
        Settle(item.Key, 1);
        _roomAvailable.TrySetResult();
    }

    private void SignalItem() => _itemAvailable.TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class QueueItem
    {
        public EventBatch? Batch;
        public CollectorKey Key;
        public (CollectorKey Key, string State)? Mark;
        public TaskCompletionSource? Done;
        public long EnqueuedAt;
    }

    private sealed record Pending
    {
        public long Outstanding { get; set; }
        public ulong EndEvent { get; set; }
        public ulong SendDrops { get; set; }
        public ulong LastSequence { get; set; }
    }

    private sealed class Work
    {
        public Work(List<QueueItem> items, Dictionary<CollectorKey, DropAccount> drops)
        {
            Items = items;
            Drops = drops;
            Batches = items.Where(i => i.Batch is not null).Select(i => i.Batch!).ToList();
            Mark = items.LastOrDefault(i => i.Mark is not null)?.Mark;
        }

        public List<QueueItem> Items { get; }
        public Dictionary<CollectorKey, DropAccount> Drops { get; }
        public List<EventBatch> Batches { get; }
        public (CollectorKey Key, string State)? Mark { get; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL is unavailable; buffering ({QueueBytes} bytes queued) and retrying")]
    private static partial void LogUnavailable(ILogger logger, long queueBytes, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "PostgreSQL still unavailable after {Attempts} attempts: {Error}")]
    private static partial void LogStillUnavailable(ILogger logger, int attempts, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL is back after {Attempts} failed attempts over {Seconds:F1} s; writing the buffered batches")]
    private static partial void LogRecovered(ILogger logger, int attempts, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write buffer full: dropped batch {Sequence} of {MachineId}/{CollectorId}/{Instance} ({Records} records)")]
    private static partial void LogDropped(ILogger logger, string machineId, string collectorId, ulong instance, ulong sequence, int records);

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL refused batch {Sequence} of {MachineId}/{CollectorId}/{Instance}; dropped")]
    private static partial void LogRefused(ILogger logger, string machineId, string collectorId, ulong instance, ulong sequence, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL refused the accounting of {Records} dropped records and/or a collector state change; dropped")]
    private static partial void LogAccountingRefused(ILogger logger, long records, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Skipped {Count} batch(es) the database already had (a retried commit)")]
    private static partial void LogDuplicates(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} batch(es) did not frame into their record count; wrote the records that did")]
    private static partial void LogMalformed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Wrote {Batches} batch(es), {Records} records, {Rows} event rows in {Milliseconds:F1} ms")]
    private static partial void LogWritten(ILogger logger, int batches, long records, long rows, double milliseconds);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The storage write loop failed; nothing more will be written")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopped with {QueueBytes} bytes of batches unwritten")]
    private static partial void LogLostAtShutdown(ILogger logger, long queueBytes);
}
