using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Scope.Abstractions;
using Scope.Events;

namespace Scope.Grains;

/// <summary>
/// The state a process grain builds from its process's records, in the order its collector produced
/// them: the <see cref="CudaLedger"/> (ProcessGrain.Cuda.cs) and the <see cref="PythonProfile"/>
/// (ProcessGrain.Python.cs). Both are made on the first record they read.
/// </summary>
/// <remarks>
/// <para>
/// A grain that activates for a process seen before (after a silo restart, or after it was
/// deactivated) first rebuilds both from what storage holds, then applies what arrived in the
/// meantime. It reads the store when it first needs them: on the first delta that carries such
/// records, or on a query. The read runs beside the grain's calls, so a long history does not hold up
/// ingest; deltas that arrive meanwhile wait (up to <see cref="MaxWaitingBytes"/>, then the caller
/// waits too).
/// </para>
/// <para>
/// Nothing is counted twice: per collector run, the grain knows the record index below which
/// everything is in its state, and a delta from a batch below it (a batch the store held and the
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
    // An idle process keeps its ledger and profile in memory this long after its last such record,
    // so that waking up does not cost a replay of its whole history.
    private static readonly TimeSpan HistoryKeepAlive = TimeSpan.FromHours(1);

    private const long MaxWaitingBytes = 16 << 20;
    private const int ReplayAttempts = 3;

    private readonly List<HistoryPart> _waiting = [];
    private CudaLedger? _ledger;
    private PythonProfile? _profile;
    private bool _cudaSeen;
    private bool _replayed;
    private bool _historyComplete = true;
    private Task? _replay;
    private long _waitingBytes;
    private Dictionary<(string Collector, ulong Instance), ulong> _appliedUpTo = [];
    private long _historyLastUnixNs;

    /// <summary>Waits for the replay of the stored history, when it has not run yet.</summary>
    private async Task Ready()
    {
        if (!_replayed)
            await (_replay ??= Replay());
    }

    private async Task ApplyHistory(ProcessDelta delta)
    {
        if (_replayed)
        {
            ApplyLive(HistoryPart.Of(delta));
            await AfterLive();
            return;
        }
        _waiting.Add(HistoryPart.Of(delta));
        _waitingBytes += delta.Records.Length;
        // An exit alone is no reason to read the store: it only closes a ledger, and whoever wants the
        // ledger later replays the stored history, that exit included.
        if (_replay is null && !HasHistoryRecord(delta.Records.Span))
            return;
        _replay ??= Replay();
        if (_waitingBytes > MaxWaitingBytes)
            await _replay;
    }

    /// <summary>Rebuilds the ledger and profile from the store, then applies the deltas that waited. Never throws.</summary>
    private async Task Replay()
    {
        var id = this.GetPrimaryKeyString();
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
        {
            Finish([], complete: true);
            return;
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Reset();
                var upTo = new Dictionary<(string, ulong), ulong>();
                long records = 0;
                await foreach (var r in _store.ReadRecords(machine, pid, startNs, CancellationToken.None))
                {
                    var run = (r.CollectorId, r.Instance);
                    upTo[run] = Math.Max(upTo.GetValueOrDefault(run), r.EventIndex + 1);
                    Feed(r.Record.Span, r.UnixOffsetNs);
                    records++;
                }
                if (records > 0)
                    LogReplayed(id, records);
                Finish(upTo, complete: true);
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
                Reset();
                Finish([], complete: false);
                break;
            }
        }
        await AfterLive();
    }

    private void Reset()
    {
        _ledger = null;
        _profile = null;
        _cudaSeen = false;
        _historyLastUnixNs = 0;
    }

    private void Finish(Dictionary<(string, ulong), ulong> upTo, bool complete)
    {
        _appliedUpTo = upTo;
        _historyComplete = complete;
        _replayed = true;
        CudaReplayed();
        foreach (var d in _waiting)
            ApplyLive(d);
        _waiting.Clear();
        _waitingBytes = 0;
    }

    private void ApplyLive(HistoryPart d)
    {
        var run = (d.CollectorId, d.Instance);
        if (_appliedUpTo.TryGetValue(run, out var upTo) && d.FirstEvent < upTo)
            return;
        _appliedUpTo[run] = d.EndEvent;
        Feed(d.Records.Span, d.UnixOffsetNs);
    }

    /// <summary>
    /// Applies raw records: CUDA records (and the Python stacks and code names they use) to the ledger,
    /// Python records to the profile, the exit to both; each is made at the first record it reads.
    /// </summary>
    private void Feed(ReadOnlySpan<byte> records, long unixOffsetNs)
    {
        var walk = BatchReader.EnumerateRecords(records);
        while (walk.MoveNext())
        {
            var r = walk.Current;
            var python = IsPython(r.Type);
            var cuda = IsCuda(r);
            if (!python && !cuda && r.Type != RecordType.ProcessExit)
                continue;
            if (cuda || python)
            {
                _ledger ??= NewLedger();
                if (cuda && r.Type != RecordType.PythonCode)
                    _cudaSeen = true;
            }
            _ledger?.Apply(r.Bytes, unixOffsetNs);
            if (python)
                (_profile ??= new PythonProfile()).Apply(r.Bytes);
            _historyLastUnixNs = Math.Max(_historyLastUnixNs, unchecked((long)r.Header.TsNs + unixOffsetNs));
        }
    }

    private CudaLedger NewLedger() => new(new CudaLedgerOptions
    {
        LeakAge = TimeSpan.FromSeconds(_cudaOptions.LeakAgeSeconds),
        MaxLiveAllocations = _cudaOptions.MaxLiveAllocations,
    });

    // Code names go to the ledger too: the Python stack of a later CUDA call may name code objects that
    // only earlier samples' records named. A Python process that never calls CUDA holds such a ledger,
    // but it is not a CUDA process until a CUDA record says so (_cudaSeen).
    private static bool IsCuda(Record r) =>
        r.Type is RecordType.CudaCall or RecordType.CudaRegister or RecordType.CudaStack or RecordType.Symbol or RecordType.PythonCode
        || (r.Type == RecordType.PythonSample && (r.As<PythonSample>().Flags & Wire.PyAtCuda) != 0);

    private static bool IsPython(RecordType type) =>
        type is RecordType.PythonSample or RecordType.PythonCode or RecordType.PythonCall;

    private static bool HasHistoryRecord(ReadOnlySpan<byte> records)
    {
        foreach (var r in BatchReader.EnumerateRecords(records))
        {
            if (r.Type != RecordType.ProcessExit)
                return true;
        }
        return false;
    }

    private async Task AfterLive()
    {
        if (_ledger is null && _profile is null)
            return;
        if (!(_ledger?.Exited ?? false))
            DelayDeactivation(HistoryKeepAlive);
        await PublishSample();
    }

    /// <summary>What a delta carries for the ledger and profile (a delta waiting for the replay keeps only this).</summary>
    private readonly record struct HistoryPart(ReadOnlyMemory<byte> Records, long UnixOffsetNs, string CollectorId, ulong Instance, ulong FirstEvent, ulong EndEvent)
    {
        public static HistoryPart Of(ProcessDelta d) => new(d.Records, d.UnixOffsetNs, d.CollectorId, d.Instance, d.FirstEvent, d.EndEvent);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Process {Process}: CUDA ledger and Python profile rebuilt from {Records} stored records")]
    private partial void LogReplayed(string process, long records);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Process {Process}: reading its stored records failed (attempt {Attempt}): {Error}")]
    private partial void LogReplayRetry(string process, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Process {Process}: its stored records could not be read; its ledger and profile hold only what arrives from now on")]
    private partial void LogReplayFailed(string process, Exception exception);
}
