using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;
using Scope.Abstractions;
using Scope.Events;

namespace Scope.Grains;

/// <summary>
/// The CUDA side of a process grain: queries of its <see cref="CudaLedger"/> (kept with the rest of the
/// grain's history, ProcessGrain.History.cs), and periodic samples of its totals on the cuda-metrics
/// stream.
/// </summary>
internal sealed partial class ProcessGrain
{
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

    /// <summary>The ledger once the stored history is in it; null when the process made no CUDA call.</summary>
    private async Task<CudaLedger?> ReadyLedger()
    {
        await Ready();
        return _cudaSeen ? _ledger : null;
    }

    private void CudaReplayed()
    {
        // The samples of the replayed history were published by the activation that lived it.
        _lastSampleUnixNs = _historyLastUnixNs;
        _finalSampleSent = _ledger?.Exited == true;
    }

    /// <summary>A sample of the totals when the last one is <see cref="CudaOptions.MetricsIntervalSeconds"/> old (record time), and one at the exit.</summary>
    private async Task PublishSample()
    {
        if (_ledger is null || !_cudaSeen || _finalSampleSent)
            return;
        var final = _ledger.Exited;
        var intervalNs = (long)_cudaOptions.MetricsIntervalSeconds * 1_000_000_000;
        if (!final && _lastSampleUnixNs != 0 && _historyLastUnixNs - _lastSampleUnixNs < intervalNs)
            return;
        var id = this.GetPrimaryKeyString();
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
            return;
        var m = _ledger.Metrics(_historyLastUnixNs);
        var sample = new CudaMetricsSample(
            machine, pid, startNs, m.UnixNs, [.. m.Devices.Select(CudaInfo.Of)], m.HostPinnedBytes, m.Operations, m.Launches,
            m.Errors, m.H2DBytes, m.D2HBytes, m.D2DBytes, m.LiveAllocations, final);
        // Claimed before the await, so a call interleaving with the publish does not send it again.
        _lastSampleUnixNs = _historyLastUnixNs;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Process {Process}: a CUDA metrics sample could not be published")]
    private partial void LogSampleLost(string process, Exception exception);
}
