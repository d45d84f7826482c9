using Microsoft.Extensions.Logging;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Streams;
using Scope.Abstractions;
using Scope.Grains.Placement;

namespace Scope.Grains;

/// <summary>
/// A machine: accounts for every batch of its collectors (sequence, gaps, drops), hands each
/// process its part of the batch, and publishes the batch to the stream subscribers. Batches arrive
/// in order per machine (one ingest queue per machine), and this grain keeps that order.
/// </summary>
[MachinePinned(MachineKey.MachineId), Immovable]
internal sealed partial class MachineGrain(
    ICollectorLedger ledger, IPersistencePressure pressure, IBatchPayloads payloads, ScopeSiloIdentity identity,
    ILogger<MachineGrain> log) : Grain, IMachineGrain
{
    /// <summary>
    /// On an all-in-one silo the subscribers run in this process: the payload stays here and travels
    /// by handle, and the local writer's room is the back-pressure. On an edge they run on a core, so
    /// the payload travels in the message, and the stream queue on the core bounds what is in flight.
    /// </summary>
    private readonly bool _subscribersHere = identity.Role.HostsClusterWide();

    private sealed class Collector
    {
        public required string Id;
        public required ulong Instance;
        public ulong NextEvent;
        public ulong SendDrops;
        public ulong Gaps;
        public ulong Events;
        public ulong LastSequence;
        public ulong KernelDrops;
        public string Version = "";
        public string TaskId = "";
        public DateTimeOffset LastSeen;
        public string State = "running";
    }

    private readonly Dictionary<(string, ulong), Collector> _collectors = [];
    private readonly Dictionary<string, IReadOnlyDictionary<string, long>> _rejected = new(StringComparer.Ordinal);
    private IAsyncStream<EventBatch>? _batches;
    private DateTimeOffset? _lastSeen;
    private string? _hostname;
    private IReadOnlyDictionary<string, string> _versions = new Dictionary<string, string>();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        MachinePinning.EnsureOnItsMachine(this);
        _batches = this.GetStreamProvider(StreamNames.Provider)
            .GetStream<EventBatch>(StreamId.Create(StreamNames.Batches, this.GetPrimaryKeyString()));
        // The in-memory accounting is only as good as its continuity: stay active while the silo runs.
        DelayDeactivation(TimeSpan.FromDays(3650));
        return Task.CompletedTask;
    }

    public async Task Ingest(EventBatch batch)
    {
        var c = await GetCollector(batch);
        if (batch.FirstEvent < c.NextEvent)
        {
            // Already accounted for: a replay of a batch the cluster has kept.
            LogDuplicate(batch.CollectorId, batch.Instance, batch.Sequence);
            return;
        }
        // Records the collector produced but dropped itself are counted by it (send_drops); the
        // rest of any jump is lost in flight.
        var skipped = batch.FirstEvent - c.NextEvent;
        var dropped = batch.SendDrops >= c.SendDrops ? batch.SendDrops - c.SendDrops : 0;
        var gap = skipped > dropped ? skipped - dropped : 0;
        if (gap > 0)
            LogGap(batch.CollectorId, batch.Instance, gap, batch.Sequence);

        if (batch.RecordCount > 0)
        {
            var deltas = ProcessDeltaBuilder.Build(batch, out _);
            var calls = new List<Task>(deltas.Count);
            foreach (var (key, delta) in deltas)
                calls.Add(GrainFactory.GetGrain<IProcessGrain>(key).Apply(delta));
            await Task.WhenAll(calls);
            GrainMetrics.ProcessCalls.Add(calls.Count);
        }
        if (_subscribersHere)
            await PublishByHandle(batch, gap);
        else
            await _batches!.OnNextAsync(batch with { GapBefore = gap });

        // Only now is the batch the subscribers': a failure above leaves the accounting as it was,
        // so a retry is not mistaken for a duplicate, and a batch given up shows as a gap.
        c.NextEvent = batch.FirstEvent + (ulong)batch.RecordCount;
        c.SendDrops = batch.SendDrops;
        c.Gaps += gap;
        GrainMetrics.Batches.Add(1);
        if (gap > 0)
            GrainMetrics.GapEvents.Add((long)gap);
        c.Events += (ulong)batch.RecordCount;
        c.LastSequence = batch.Sequence;
        c.KernelDrops = batch.KernelDrops.Aggregate(0UL, (a, b) => a + b);
        c.Version = batch.CollectorVersion;
        c.TaskId = batch.TaskId;
        c.LastSeen = batch.ReceivedAt;
        c.State = batch.Final ? "stopped" : "running";
        _lastSeen = batch.ReceivedAt;
    }

    private async Task PublishByHandle(EventBatch batch, ulong gap)
    {
        // Bounded: at most a few seconds' wait for the store, well inside the ingest's call timeout.
        if (!await pressure.WaitForRoomAsync(batch.Payload.Length, TimeSpan.FromSeconds(5), CancellationToken.None))
            LogNoRoom(batch.CollectorId, batch.Sequence);
        pressure.InTransit(batch.Payload.Length);
        var handle = payloads.Put(batch.Payload);
        try
        {
            await _batches!.OnNextAsync(batch with
            {
                GapBefore = gap,
                Payload = ReadOnlyMemory<byte>.Empty,
                PayloadHandle = handle,
                PayloadLength = batch.Payload.Length,
            });
        }
        catch
        {
            payloads.Release(handle);
            pressure.InTransit(-batch.Payload.Length);
            throw;
        }
    }

    private async Task<Collector> GetCollector(EventBatch batch)
    {
        if (_collectors.TryGetValue((batch.CollectorId, batch.Instance), out var c))
            return c;
        // First sight of this instance in this activation: start from what the cluster kept.
        var mark = await ledger.GetWatermark(this.GetPrimaryKeyString(), batch.CollectorId, batch.Instance, CancellationToken.None);
        c = new Collector
        {
            Id = batch.CollectorId,
            Instance = batch.Instance,
            NextEvent = mark?.NextEvent ?? 0,
            SendDrops = mark?.SendDrops ?? 0,
        };
        _collectors[(batch.CollectorId, batch.Instance)] = c;
        return c;
    }

    public async Task CollectorGone(string collectorId, ulong instance, string reason)
    {
        foreach (var c in _collectors.Values.Where(c => c.Id == collectorId && (instance == 0 || c.Instance == instance)))
        {
            if (c.State == "stopped")
                continue;
            c.State = "gone";
            LogGone(collectorId, c.Instance, reason);
            await ledger.MarkCollector(this.GetPrimaryKeyString(), collectorId, c.Instance, "gone", CancellationToken.None);
        }
    }

    public Task SetInventory(string hostname, IReadOnlyDictionary<string, string> versions)
    {
        _hostname = hostname;
        _versions = versions;
        return Task.CompletedTask;
    }

    public Task ReportRejections(string collectorId, IReadOnlyDictionary<string, long> totals)
    {
        _rejected[collectorId] = totals;
        return Task.CompletedTask;
    }

    public Task<MachineSnapshot> GetSnapshot() => Task.FromResult(new MachineSnapshot(
        this.GetPrimaryKeyString(),
        _hostname,
        _lastSeen,
        [.. _collectors.Values.Select(c => new CollectorSnapshot(
            c.Id, c.Instance, c.Version, c.TaskId, c.LastSeen, c.LastSequence, c.Events, c.KernelDrops, c.SendDrops, c.Gaps, c.State))],
        _versions,
        new Dictionary<string, IReadOnlyDictionary<string, long>>(_rejected)));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collector {Collector} ({Instance:x}): {Gap} records lost in flight before batch {Sequence}")]
    private partial void LogGap(string collector, ulong instance, ulong gap, ulong sequence);

    [LoggerMessage(Level = LogLevel.Information, Message = "Collector {Collector} ({Instance:x}): batch {Sequence} already accounted for, skipped")]
    private partial void LogDuplicate(string collector, ulong instance, ulong sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collector {Collector}: no room in storage for batch {Sequence} after waiting; passing it on to be counted if dropped")]
    private partial void LogNoRoom(string collector, ulong sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collector {Collector} ({Instance:x}) is gone: {Reason}")]
    private partial void LogGone(string collector, ulong instance, string reason);
}
