using System.Threading.Channels;
using Microsoft.Extensions.Options;
using NetMQ;
using NetMQ.Sockets;
using Scope.Abstractions;
using Scope.Events;

namespace Scope.Silo.Ingest;

/// <summary>
/// Pulls collector batches (NetMQ), validates and authenticates each, and hands it to its machine's
/// grain. One queue and one sender per machine keep each machine's batches in order; a full queue
/// stops the reader, so pressure goes back to the collectors, which queue and then count drops.
/// </summary>
public sealed partial class IngestService(
    IOptions<IngestOptions> options,
    CollectorRegistry registry,
    IngestMetrics metrics,
    IGrainFactory grains,
    IHostApplicationLifetime lifetime,
    ILogger<IngestService> log) : BackgroundService
{
    private readonly Dictionary<string, Channel<EventBatch>> _queues = new(StringComparer.Ordinal);
    private readonly List<Task> _senders = [];
    private readonly TaskCompletionSource _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastRejectLog;

    /// <summary>Completes once the socket is bound (or faults if it cannot be).</summary>
    public Task Bound => _bound.Task;

    public int QueueDepth
    {
        get
        {
            lock (_queues)
                return _queues.Values.Sum(q => q.Reader.Count);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        metrics.QueueDepth = () => QueueDepth;
        foreach (var c in options.Value.Collectors)
        {
            if (string.IsNullOrEmpty(c.Id) || string.IsNullOrEmpty(c.MachineId) || !File.Exists(c.SecretFile))
                throw new ArgumentException($"Scope:Ingest:Collectors: '{c.Id}' needs an Id, a MachineId and a readable SecretFile");
            registry.RegisterExternal(c.Id, c.MachineId, File.ReadAllText(c.SecretFile));
        }
        // NetMQ sockets belong to the thread that made them: a dedicated thread reads.
        var reader = new Thread(() => ReadLoop(stoppingToken)) { IsBackground = true, Name = "scope-ingest" };
        var reporter = Task.Run(() => ReportRejectionsLoop(stoppingToken), CancellationToken.None);
        return Task.Run(async () =>
        {
            // Bind only once the silo has started: until then collectors keep their batches, where
            // they survive, instead of handing them to a process that cannot yet pass them on.
            var started = new TaskCompletionSource();
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
                await Task.WhenAny(started.Task, stoppingToken.WhenCancelled());
            if (stoppingToken.IsCancellationRequested)
            {
                _bound.TrySetCanceled(stoppingToken);
                return;
            }
            reader.Start();
            await stoppingToken.WhenCancelled();
            await reporter;
            reader.Join(TimeSpan.FromSeconds(5));
            lock (_queues)
            {
                foreach (var q in _queues.Values)
                    q.Writer.TryComplete();
            }
            await Task.WhenAll(_senders);
        }, CancellationToken.None);
    }

    /// <summary>The machine grain keeps each collector's rejection counts; tell it when they change.</summary>
    private async Task ReportRejectionsLoop(CancellationToken stop)
    {
        var reported = new Dictionary<string, long>(StringComparer.Ordinal);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                foreach (var c in registry.All)
                {
                    var total = c.Rejected;
                    if (reported.TryGetValue(c.Id, out var last) && last == total)
                        continue;
                    try
                    {
                        await grains.GetGrain<IMachineGrain>(c.MachineId).ReportRejections(c.Id, c.RejectedByReason);
                        reported[c.Id] = total;
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        LogReportFailed(c.Id, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void ReadLoop(CancellationToken stop)
    {
        var opts = options.Value;
        try
        {
            using var pull = new PullSocket();
            // Whatever waits in this process when it dies is lost (counted as a gap): keep the
            // socket's queue and kernel buffer small, so batches wait in the collectors instead.
            pull.Options.ReceiveHighWatermark = 16;
            pull.Options.ReceiveBuffer = 256 << 10;
            pull.Options.Linger = TimeSpan.Zero;
            pull.Bind(opts.Endpoint);
            _bound.TrySetResult();
            LogListening(opts.Endpoint);
            while (!stop.IsCancellationRequested)
            {
                if (!pull.TryReceiveFrameBytes(TimeSpan.FromMilliseconds(200), out var frame))
                    continue;
                // Drain the rest of a multipart message: a batch is always one frame.
                if (pull.Options.ReceiveMore)
                {
                    pull.SkipMultipartMessage();
                    Reject(RejectReason.LengthMismatch, null);
                    continue;
                }
                var batch = Validate(frame, opts);
                if (batch is not null)
                    Enqueue(batch, stop);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _bound.TrySetException(e);
            LogReaderFailed(e);
            throw;
        }
        finally
        {
            NetMQConfig.Cleanup(block: false);
        }
    }

    private EventBatch? Validate(byte[] frame, IngestOptions opts)
    {
        if (frame.Length > opts.MaxFrameBytes)
            return Reject(RejectReason.TooLarge, null);
        var parsed = BatchReader.TryParse(frame, out var header, out _);
        var collectorId = frame.Length >= Wire.BatchHeaderSize ? header.CollectorId.AsString() : "";
        // A refusal is also counted against the collector the frame claims to come from, if we know it.
        var known = registry.TryGet(collectorId, out var collector);
        if (parsed != BatchRejectReason.None)
            return Reject(RejectReasons.From(parsed), known ? collector : null);
        if (!known)
            return Reject(RejectReason.UnknownCollector, null);
        if (!collector.Authenticator.Verify(frame))
            return Reject(RejectReason.BadMac, collector);
        var machineId = header.MachineId.AsString();
        if (machineId != collector.MachineId)
            return Reject(RejectReason.MachineMismatch, collector);
        metrics.Accepted((int)header.RecordCount);
        return new EventBatch
        {
            MachineId = machineId,
            CollectorId = collectorId,
            Instance = header.Instance,
            Sequence = header.Sequence,
            FirstEvent = header.FirstEvent,
            RecordCount = (int)header.RecordCount,
            RealtimeNs = header.RealtimeNs,
            BoottimeNs = header.BoottimeNs,
            KernelDrops = [header.KernelDrops[0], header.KernelDrops[1], header.KernelDrops[2]],
            SendDrops = header.SendDrops,
            CollectorVersion = header.CollectorVersion.AsString(),
            TaskId = header.TaskId.AsString(),
            Final = (header.Flags & 1) != 0,
            ReceivedAt = DateTimeOffset.UtcNow,
            Payload = frame.AsMemory(Wire.BatchHeaderSize),
        };
    }

    private EventBatch? Reject(RejectReason reason, CollectorRegistry.Entry? collector)
    {
        metrics.Rejected(reason);
        collector?.CountRejected(reason);
        // A flood of garbage must not become a flood of log lines: at most one a second.
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastRejectLog) >= 1000)
        {
            Interlocked.Exchange(ref _lastRejectLog, now);
            LogRejected(reason.Name(), metrics.RejectedTotal);
        }
        return null;
    }

    private void Enqueue(EventBatch batch, CancellationToken stop)
    {
        Channel<EventBatch> queue;
        lock (_queues)
        {
            if (!_queues.TryGetValue(batch.MachineId, out queue!))
            {
                queue = Channel.CreateBounded<EventBatch>(new BoundedChannelOptions(options.Value.QueueBatches)
                {
                    SingleReader = true,
                    SingleWriter = true,
                    FullMode = BoundedChannelFullMode.Wait,
                });
                _queues[batch.MachineId] = queue;
                _senders.Add(Task.Run(() => SendLoop(batch.MachineId, queue.Reader, stop), CancellationToken.None));
            }
        }
        // Blocks the reader when the machine's grain falls behind: back-pressure, not loss.
        try
        {
            queue.Writer.WriteAsync(batch, stop).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Hands a machine's batches to its grain, in order. A batch the grain does not take is retried
    /// (the queue fills meanwhile, and pressure goes back to the collectors) until it is taken or the
    /// silo stops; what is left then is counted as a gap when the collector's next batch arrives.
    /// </summary>
    private async Task SendLoop(string machineId, ChannelReader<EventBatch> queue, CancellationToken stop)
    {
        var machine = grains.GetGrain<IMachineGrain>(machineId);
        await foreach (var batch in queue.ReadAllAsync(CancellationToken.None))
        {
            for (var attempt = 1; !stop.IsCancellationRequested; attempt++)
            {
                try
                {
                    await machine.Ingest(batch);
                    break;
                }
                catch (Exception e)
                {
                    if (attempt == 1 || attempt % 50 == 0)
                        LogGrainRetry(machineId, batch.Sequence, attempt, e.Message);
                    try
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * attempt, 2000)), stop);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest listening on {Endpoint}")]
    private partial void LogListening(string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a frame: {Reason} ({Total} rejected so far)")]
    private partial void LogRejected(string reason, long total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Machine {Machine}: batch {Sequence} not taken (attempt {Attempt}): {Error}")]
    private partial void LogGrainRetry(string machine, ulong sequence, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot report rejections of collector {Collector}: {Error}")]
    private partial void LogReportFailed(string collector, string error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The ingest reader failed")]
    private partial void LogReaderFailed(Exception e);
}

internal static class CancellationTokenExtensions
{
    public static Task WhenCancelled(this CancellationToken ct)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ct.Register(() => tcs.TrySetResult());
        return tcs.Task;
    }
}
