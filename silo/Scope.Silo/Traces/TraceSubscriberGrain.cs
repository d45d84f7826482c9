using Microsoft.Extensions.Options;
using Orleans.Streams;
using Orleans.Streams.Core;
using Scope.Abstractions;
using Scope.Events;
using Scope.Grains;

namespace Scope.Silo.Traces;

public interface ITraceSubscriberGrain : IGrainWithStringKey;

/// <summary>
/// The rolling-trace subscriber: every machine's batch stream is implicitly subscribed, and each
/// process's records go, in order, to that process's <see cref="RollingTrace"/>, appended to its file
/// every <see cref="TraceOptions.FlushIntervalSeconds"/> and completed at its exit.
/// </summary>
[ImplicitStreamSubscription(StreamNames.Batches)]
internal sealed partial class TraceSubscriberGrain(
    IBatchPayloads payloads, TraceFiles files, IOptions<TraceOptions> options, ILogger<TraceSubscriberGrain> log)
    : Grain, ITraceSubscriberGrain, IAsyncObserver<EventBatch>, IStreamSubscriptionObserver
{
    private readonly TraceOptions _options = options.Value;
    private readonly Dictionary<string, RollingTrace> _open = new(StringComparer.Ordinal);
    private IGrainTimer? _timer;

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<EventBatch>().ResumeAsync(this);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled)
        {
            Directory.CreateDirectory(files.Directory);
            var every = TimeSpan.FromSeconds(Math.Max(1, _options.FlushIntervalSeconds));
            _timer = this.RegisterGrainTimer(Tick, new GrainTimerCreationOptions(every, every) { KeepAlive = true });
        }
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        foreach (var id in _open.Keys.ToList())
            Close(id, complete: false);
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    public Task OnNextAsync(EventBatch item, StreamSequenceToken? token = null)
    {
        var payload = item.Payload;
        if (item.PayloadHandle != 0 && !payloads.TryTake(item.PayloadHandle, out payload))
            return Task.CompletedTask; // published on another silo: the persistence subscriber counts it
        if (!_options.Enabled)
            return Task.CompletedTask;
        var walk = BatchReader.EnumerateRecords(payload.Span);
        RollingTrace? trace = null;
        string id = "";
        (uint Pid, ulong StartNs) current = default;
        while (walk.MoveNext())
        {
            var r = walk.Current;
            ref readonly var h = ref r.Header;
            // The id is made once per run of one process's records, not once per record.
            if (trace is null || current != (h.Pid, h.StartNs))
            {
                current = (h.Pid, h.StartNs);
                id = ProcessKey.Format(item.MachineId, h.Pid, h.StartNs);
                trace = Open(id);
            }
            if (trace is null)
                continue;
            try
            {
                long committed = trace.CommittedBytes;
                trace.Add(r.Bytes, r.Type == RecordType.ProcessExit);
                if (trace.CommittedBytes != committed)
                    files.SetCommitted(id, trace.CommittedBytes);
            }
            catch (IOException e)
            {
                LogWriteFailed(trace.Path, e.Message);
                Close(id, complete: false);
                trace = null;
            }
        }
        return Task.CompletedTask;
    }

    private RollingTrace? Open(string id)
    {
        if (_open.TryGetValue(id, out var t))
            return t;
        try
        {
            t = new RollingTrace(files.PathOf(id));
        }
        catch (IOException e)
        {
            LogWriteFailed(files.PathOf(id), e.Message);
            return null;
        }
        _open[id] = t;
        files.SetCommitted(id, t.CommittedBytes);
        return t;
    }

    private Task Tick(CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var idle = TimeSpan.FromSeconds(Math.Max(1, _options.IdleCloseSeconds));
        foreach (var (id, t) in _open.ToList())
        {
            try
            {
                // An exited process is done once its last records are in: its exit may precede a
                // few of them in the same batch or the next.
                if (t.Exited && now - t.LastRecordUtc >= TimeSpan.FromSeconds(_options.FlushIntervalSeconds))
                    Close(id, complete: true);
                else if (now - t.LastRecordUtc >= idle)
                    Close(id, complete: true);
                else if (t.HasBuffered)
                {
                    t.Flush();
                    files.SetCommitted(id, t.CommittedBytes);
                }
            }
            catch (IOException e)
            {
                LogWriteFailed(t.Path, e.Message);
                Close(id, complete: false);
            }
        }
        return Task.CompletedTask;
    }

    private void Close(string id, bool complete)
    {
        if (!_open.Remove(id, out var t))
            return;
        try
        {
            if (complete)
                t.Complete();
            else
                t.Flush();
            files.SetCommitted(id, t.CommittedBytes);
        }
        catch (IOException e)
        {
            LogWriteFailed(t.Path, e.Message);
        }
        finally
        {
            t.Dispose();
            files.Closed(id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rolling trace {Path}: {Error}; its process's trace is rebuilt from storage on request")]
    private partial void LogWriteFailed(string path, string error);

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
