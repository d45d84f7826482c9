using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;
using Scope.Abstractions;
using Scope.Events;

namespace Scope.Grains;

/// <summary>
/// The CUDA side of a process grain: a <see cref="CudaLedger"/>, made on the first CUDA record, fed
/// the process's CUDA records (and its exit) in the order its collector produced them.
/// </summary>
/// <remarks>
/// <para>
/// A grain that activates for a process seen before (after a silo restart, or after it was
/// deactivated) first rebuilds its ledger from what storage holds, then applies what arrived in the
/// meantime. It reads the store when it first needs the ledger: on the first delta that carries CUDA
/// records, or on a CUDA query. The read runs beside the grain's calls, so a long history does not
/// hold up ingest; deltas that arrive meanwhile wait (up to <see cref="MaxWaitingBytes"/>, then the
/// caller waits too).
/// </para>
/// <para>
/// Nothing is counted twice: per collector run, the grain knows the record index below which
/// everything is in its ledger, and a delta from a batch below it (a batch the store held and the
/// replay read, or one the ingest retried) is skipped. Batches are stored whole or not at all, so a
/// batch is either entirely in the replay or not in it.
/// </para>
/// <para>
/// What can be missed: a batch whose delta an earlier activation applied but which storage had not
/// committed when this activation read it (still queued in the writer or the stream). That takes the
/// grain being deactivated while its last batches wait for storage, i.e. the store lagging by more
/// than the idle collection age (10 min) — or, after a silo crash, batches the crash lost anyway
/// (counted as gaps). Also: a process that exits while its grain is not active gets no final metrics
/// sample (its exit is in the store, so its ledger shows it).
/// </para>
/// </remarks>
internal sealed partial class ProcessGrain
{
    // An idle CUDA process keeps its ledger in memory this long after its last CUDA record, so that
    // waking up does not cost a replay of its whole history.
    private static readonly TimeSpan CudaKeepAlive = TimeSpan.FromHours(1);

    private const long MaxWaitingBytes = 16 << 20;
    private const int ReplayAttempts = 3;

    private readonly List<CudaPart> _waiting = [];
    private CudaLedger? _ledger;
    private bool _replayed;
    private bool _historyComplete = true;
    private Task? _replay;
    private long _waitingBytes;
    private Dictionary<(string Collector, ulong Instance), ulong> _appliedUpTo = [];
    private long _cudaLastUnixNs;
    private long _lastSampleUnixNs;
    private bool _finalSampleSent;
    private IAsyncStream<CudaMetricsSample>? _metrics;

    public async Task<CudaSnapshot?> GetCudaSummary() =>
        await ReadyLedger() is { } ledger ? CudaInfo.Of(ledger.Summary(), _historyComplete) : null;

    public async Task<IReadOnlyList<CudaAllocationInfo>?> GetCudaAllocations(int limit) =>
        await ReadyLedger() is { } ledger ? [.. ledger.LiveAllocations(limit).Select(CudaInfo.Of)] : null;

    public async Task<IReadOnlyList<CudaKernelInfo>?> GetCudaKernels(int limit) =>
        await ReadyLedger() is { } ledger ? [.. ledger.Kernels(limit).Select(CudaInfo.Of)] : null;

    public async Task<IReadOnlyList<CudaLeakInfo>?> GetCudaLeaks(TimeSpan? olderThan)
    {
        if (await ReadyLedger() is not { } ledger)
            return null;
        var now = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * TimeSpan.NanosecondsPerTick;
        return [.. ledger.Leaks(now, olderThan).Select(CudaInfo.Of)];
    }

    private async Task<CudaLedger?> ReadyLedger()
    {
        if (!_replayed)
            await (_replay ??= Replay());
        return _ledger;
    }

    private async Task ApplyCuda(ProcessDelta delta)
    {
        if (_replayed)
        {
            ApplyLive(CudaPart.Of(delta));
            await AfterLive();
            return;
        }
        _waiting.Add(CudaPart.Of(delta));
        _waitingBytes += delta.CudaRecords.Length;
        // An exit alone is no reason to read the store: it only closes a ledger, and whoever wants the
        // ledger later replays the stored history, that exit included.
        if (_replay is null && !HasCudaRecord(delta.CudaRecords.Span))
            return;
        _replay ??= Replay();
        if (_waitingBytes > MaxWaitingBytes)
            await _replay;
    }

    /// <summary>Rebuilds the ledger from the store, then applies the deltas that waited. Never throws.</summary>
    private async Task Replay()
    {
        var id = this.GetPrimaryKeyString();
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
        {
            Finish(null, [], complete: true);
            return;
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                CudaLedger? ledger = null;
                var upTo = new Dictionary<(string, ulong), ulong>();
                long records = 0;
                await foreach (var r in _cudaStore.ReadCudaRecords(machine, pid, startNs, CancellationToken.None))
                {
                    var run = (r.CollectorId, r.Instance);
                    upTo[run] = Math.Max(upTo.GetValueOrDefault(run), r.EventIndex + 1);
                    ledger = Feed(ledger, r.Record.Span, r.UnixOffsetNs);
                    records++;
                }
                if (records > 0)
                    LogReplayed(id, records);
                Finish(ledger, upTo, complete: true);
                break;
            }
            catch (Exception e) when (attempt < ReplayAttempts)
            {
                LogReplayRetry(id, attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(attempt));
            }
            catch (Exception e)
            {
                // Rather than hold this process's records (and, past the bound, the ingest) while the
                // store is away: go on from what arrives, and say the history is missing.
                LogReplayFailed(id, e);
                _cudaLastUnixNs = 0;
                Finish(null, [], complete: false);
                break;
            }
        }
        await AfterLive();
    }

    private void Finish(CudaLedger? ledger, Dictionary<(string, ulong), ulong> upTo, bool complete)
    {
        _ledger = ledger;
        _appliedUpTo = upTo;
        _historyComplete = complete;
        _replayed = true;
        // The samples of the replayed history were published by the activation that lived it.
        _lastSampleUnixNs = _cudaLastUnixNs;
        _finalSampleSent = ledger?.Exited == true;
        foreach (var d in _waiting)
            ApplyLive(d);
        _waiting.Clear();
        _waitingBytes = 0;
    }

    private void ApplyLive(CudaPart d)
    {
        var run = (d.CollectorId, d.Instance);
        if (_appliedUpTo.TryGetValue(run, out var upTo) && d.FirstEvent < upTo)
            return;
        _appliedUpTo[run] = d.EndEvent;
        _ledger = Feed(_ledger, d.CudaRecords.Span, d.UnixOffsetNs);
    }

    /// <summary>Applies raw records to the ledger, making it at the first CUDA record; an exit with no ledger is nothing to apply.</summary>
    private CudaLedger? Feed(CudaLedger? ledger, ReadOnlySpan<byte> records, long unixOffsetNs)
    {
        var walk = BatchReader.EnumerateRecords(records);
        while (walk.MoveNext())
        {
            var r = walk.Current;
            if (IsCuda(r.Type))
                ledger ??= new CudaLedger(new CudaLedgerOptions
                {
                    LeakAge = TimeSpan.FromSeconds(_cudaOptions.LeakAgeSeconds),
                    MaxLiveAllocations = _cudaOptions.MaxLiveAllocations,
                });
            else if (r.Type != RecordType.ProcessExit || ledger is null)
                continue;
            ledger.Apply(r.Bytes, unixOffsetNs);
            _cudaLastUnixNs = Math.Max(_cudaLastUnixNs, unchecked((long)r.Header.TsNs + unixOffsetNs));
        }
        return ledger;
    }

    private static bool IsCuda(RecordType type) =>
        type is RecordType.CudaCall or RecordType.CudaRegister or RecordType.CudaStack or RecordType.Symbol
            or RecordType.PythonSample or RecordType.PythonCode;

    private static bool HasCudaRecord(ReadOnlySpan<byte> records)
    {
        foreach (var r in BatchReader.EnumerateRecords(records))
        {
            if (IsCuda(r.Type))
                return true;
        }
        return false;
    }

    private async Task AfterLive()
    {
        if (_ledger is null)
            return;
        if (!_ledger.Exited)
            DelayDeactivation(CudaKeepAlive);
        await PublishSample();
    }

    /// <summary>A sample of the totals when the last one is <see cref="CudaOptions.MetricsIntervalSeconds"/> old (record time), and one at the exit.</summary>
    private async Task PublishSample()
    {
        if (_ledger is null || _finalSampleSent)
            return;
        var final = _ledger.Exited;
        var intervalNs = (long)_cudaOptions.MetricsIntervalSeconds * 1_000_000_000;
        if (!final && _lastSampleUnixNs != 0 && _cudaLastUnixNs - _lastSampleUnixNs < intervalNs)
            return;
        var id = this.GetPrimaryKeyString();
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
            return;
        var m = _ledger.Metrics(_cudaLastUnixNs);
        var sample = new CudaMetricsSample(
            machine, pid, startNs, m.UnixNs, [.. m.Devices.Select(CudaInfo.Of)], m.HostPinnedBytes, m.Operations, m.Launches,
            m.Errors, m.H2DBytes, m.D2HBytes, m.D2DBytes, m.LiveAllocations, final);
        // Claimed before the await, so a call interleaving with the publish does not send it again.
        _lastSampleUnixNs = _cudaLastUnixNs;
        _finalSampleSent = final;
        try
        {
            _metrics ??= this.GetStreamProvider(StreamNames.Provider)
                .GetStream<CudaMetricsSample>(StreamId.Create(StreamNames.CudaMetrics, machine));
            await _metrics.OnNextAsync(sample);
        }
        catch (Exception e)
        {
            // A lost sample is a gap in a graph; failing the delta would hold up the machine's ingest.
            LogSampleLost(id, e);
        }
    }

    /// <summary>What a delta says for the ledger (a delta waiting for the replay keeps only this).</summary>
    private readonly record struct CudaPart(ReadOnlyMemory<byte> CudaRecords, long UnixOffsetNs, string CollectorId, ulong Instance, ulong FirstEvent, ulong EndEvent)
    {
        public static CudaPart Of(ProcessDelta d) => new(d.CudaRecords, d.UnixOffsetNs, d.CollectorId, d.Instance, d.FirstEvent, d.EndEvent);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Process {Process}: CUDA ledger rebuilt from {Records} stored records")]
    private partial void LogReplayed(string process, long records);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Process {Process}: reading its stored CUDA records failed (attempt {Attempt}): {Error}")]
    private partial void LogReplayRetry(string process, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Process {Process}: its stored CUDA records could not be read; its ledger holds only what arrives from now on")]
    private partial void LogReplayFailed(string process, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Process {Process}: a CUDA metrics sample could not be published")]
    private partial void LogSampleLost(string process, Exception exception);
}
