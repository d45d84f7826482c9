using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Scope.Abstractions;

namespace Scope.Silo.Storage;

/// <summary>
/// Writes CUDA metrics samples to scope.cuda_metrics, one row per device per sample. Samples are few
/// (one per CUDA process per interval), so one loop writes whatever has arrived in one statement per
/// round. While PostgreSQL is away it retries and holds up to <see cref="Capacity"/> samples; beyond
/// that the oldest are dropped and counted (<see cref="SamplesDropped"/>): a gap in a graph, never a
/// stalled grain.
/// </summary>
public sealed partial class CudaMetricsWriter : IHostedService, IDisposable
{
    public const int DefaultCapacity = 100_000;
    private const int MaxSamplesPerWrite = 5_000;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<CudaMetricsWriter> _logger;
    private readonly Migrator? _migrator;
    private readonly Channel<CudaMetricsSample> _queue;
    private readonly CancellationTokenSource _abort = new();
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _rowsWritten;
    private readonly Counter<long> _samplesDropped;
    private Task? _loop;
    private long _written;
    private long _dropped;
    private int _inFlight;
    private int _disposed;

    public CudaMetricsWriter(NpgsqlDataSource dataSource, ILogger<CudaMetricsWriter> logger, IMeterFactory? meterFactory = null,
        Migrator? migrator = null, int capacity = DefaultCapacity)
    {
        _dataSource = dataSource;
        _logger = logger;
        _migrator = migrator;
        Capacity = Math.Max(1, capacity);
        _queue = Channel.CreateBounded<CudaMetricsSample>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => CountDropped(1));
        if (meterFactory is not null)
        {
            _meter = meterFactory.Create(PersistenceWriter.MeterName);
        }
        else
        {
            _meter = new Meter(PersistenceWriter.MeterName);
            _ownsMeter = true;
        }
        _rowsWritten = _meter.CreateCounter<long>("scope.storage.cuda_metrics_rows_written", "{row}", "Rows written to scope.cuda_metrics");
        _samplesDropped = _meter.CreateCounter<long>("scope.storage.cuda_metrics_dropped", "{sample}", "CUDA metrics samples dropped: buffer full, refused by PostgreSQL, or left at shutdown");
    }

    /// <summary>Samples held at most while PostgreSQL is slow or away.</summary>
    public int Capacity { get; }

    /// <summary>Samples committed since start.</summary>
    public long SamplesWritten => Interlocked.Read(ref _written);

    /// <summary>Samples dropped since start.</summary>
    public long SamplesDropped => Interlocked.Read(ref _dropped);

    /// <summary>Samples accepted and not yet committed or dropped.</summary>
    public int Pending => _queue.Reader.Count + Volatile.Read(ref _inFlight);

    /// <summary>Queues a sample; when the buffer is full the oldest one waiting is dropped (and counted).</summary>
    public void Enqueue(CudaMetricsSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (!_queue.Writer.TryWrite(sample))
            CountDropped(1); // stopping
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop ??= Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Writes what is queued, then stops; the host's shutdown timeout cuts that short.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is null)
            return;
        await using var reg = cancellationToken.Register(static s => ((CancellationTokenSource)s!).Cancel(), _abort).ConfigureAwait(false);
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
        _queue.Writer.TryComplete();
        _abort.Cancel();
        try
        {
            _loop?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Logged by the loop.
        }
        _abort.Dispose();
        if (_ownsMeter)
            _meter.Dispose();
    }

    private async Task RunAsync()
    {
        var batch = new List<CudaMetricsSample>();
        try
        {
            if (_migrator is not null)
                await _migrator.WaitAsync(_abort.Token).ConfigureAwait(false);
            while (await _queue.Reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                while (batch.Count < MaxSamplesPerWrite && _queue.Reader.TryRead(out var sample))
                    batch.Add(sample);
                Volatile.Write(ref _inFlight, batch.Count);
                await WriteWithRetryAsync(batch).ConfigureAwait(false);
                batch.Clear();
                Volatile.Write(ref _inFlight, 0);
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            var left = batch.Count + _queue.Reader.Count;
            CountDropped(left);
            if (left > 0)
                LogLostAtShutdown(_logger, left);
        }
        catch (Exception ex)
        {
            LogLoopFailed(_logger, ex);
            throw;
        }
    }

    private async Task WriteWithRetryAsync(List<CudaMetricsSample> batch)
    {
        var delay = FirstRetry;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var rows = await WriteAsync(batch, _abort.Token).ConfigureAwait(false);
                _rowsWritten.Add(rows);
                Interlocked.Add(ref _written, batch.Count);
                if (attempt > 0)
                    LogRecovered(_logger, attempt);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState.StartsWith("22", StringComparison.Ordinal) || ex.SqlState.StartsWith("23", StringComparison.Ordinal))
            {
                // The data is to blame; retrying would only stop every later sample.
                LogRefused(_logger, batch.Count, ex);
                CountDropped(batch.Count);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_abort.IsCancellationRequested)
            {
                if (attempt == 0)
                    LogUnavailable(_logger, ex);
                _dataSource.Clear();
            }
            await Task.Delay(delay, _abort.Token).ConfigureAwait(false);
            delay = delay * 2 < MaxRetry ? delay * 2 : MaxRetry;
        }
    }

    private async Task<int> WriteAsync(List<CudaMetricsSample> samples, CancellationToken ct)
    {
        var time = new List<DateTime>();
        var machine = new List<string>();
        var pid = new List<int>();
        var startNs = new List<long>();
        var device = new List<int>();
        var current = new List<long>();
        var peak = new List<long>();
        var pinned = new List<long>();
        var operations = new List<long>();
        var launches = new List<long>();
        var errors = new List<long>();
        var h2d = new List<long>();
        var d2h = new List<long>();
        var d2d = new List<long>();
        var live = new List<long>();
        var final = new List<bool>();
        foreach (var s in samples)
        {
            // A sample without device memory still gets a row, so its process counters are kept.
            IReadOnlyList<CudaDeviceInfo> devices = s.Devices.Count > 0 ? s.Devices : [new CudaDeviceInfo(-1, 0, 0, 0, 0, 0)];
            foreach (var d in devices)
            {
                time.Add(DateTime.UnixEpoch.AddTicks(s.UnixNs / TimeSpan.NanosecondsPerTick));
                machine.Add(WireRecords.Clean(s.MachineId));
                pid.Add(unchecked((int)s.Pid));
                startNs.Add(unchecked((long)s.StartNs));
                device.Add(d.Device);
                current.Add(d.CurrentBytes);
                peak.Add(d.PeakBytes);
                pinned.Add(s.HostPinnedBytes);
                operations.Add(s.Operations);
                launches.Add(s.Launches);
                errors.Add(s.Errors);
                h2d.Add(s.H2DBytes);
                d2h.Add(s.D2HBytes);
                d2d.Add(s.D2DBytes);
                live.Add(s.LiveAllocations);
                final.Add(s.Final);
            }
        }
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO scope.cuda_metrics (time, machine_id, pid, start_ns, device, current_bytes, peak_bytes, host_pinned_bytes,
                                            operations, launches, errors, h2d_bytes, d2h_bytes, d2d_bytes, live_allocations, final)
            SELECT * FROM unnest(@time, @m, @pid, @sns, @device, @current, @peak, @pinned, @ops, @launches, @errors, @h2d, @d2h, @d2d, @live, @final)
            """);
        cmd.Parameters.Add(new NpgsqlParameter<DateTime[]>("time", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. time] });
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("m", [.. machine]));
        cmd.Parameters.Add(new NpgsqlParameter<int[]>("pid", [.. pid]));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("sns", [.. startNs]));
        cmd.Parameters.Add(new NpgsqlParameter<int[]>("device", [.. device]));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("current", [.. current]));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("peak", [.. peak]));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("pinned", [.. pinned]));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("ops", [.. operations]));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("launches", [.. launches]));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("errors", [.. errors]));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("h2d", [.. h2d]));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("d2h", [.. d2h]));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("d2d", [.. d2d]));
        cmd.Parameters.Add(new NpgsqlParameter<long[]>("live", [.. live]));
        cmd.Parameters.Add(new NpgsqlParameter<bool[]>("final", [.. final]));
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private void CountDropped(int samples)
    {
        if (samples <= 0)
            return;
        Interlocked.Add(ref _dropped, samples);
        _samplesDropped.Add(samples);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL is unavailable for CUDA metrics; holding them and retrying")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "CUDA metrics written again after {Attempts} failed attempts")]
    private static partial void LogRecovered(ILogger logger, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "PostgreSQL refused {Samples} CUDA metrics samples; dropped")]
    private static partial void LogRefused(ILogger logger, int samples, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopped with {Samples} CUDA metrics samples unwritten")]
    private static partial void LogLostAtShutdown(ILogger logger, int samples);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The CUDA metrics write loop failed; no more samples will be written")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
