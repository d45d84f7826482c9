namespace Scope.Abstractions;

/// <summary>A monitored machine (key: its machine id). Receives every batch its collectors send.</summary>
public interface IMachineGrain : IGrainWithStringKey
{
    /// <summary>Accounts for the batch, aggregates it into the machine's processes and passes it to the stream subscribers.</summary>
    Task Ingest(EventBatch batch);

    /// <summary>The collector has ended (its process exited, or it sent its final batch).</summary>
    Task CollectorGone(string collectorId, ulong instance, string reason);

    /// <summary>What the machine is: hostname and component versions (kernel, silo, ...).</summary>
    Task SetInventory(string hostname, IReadOnlyDictionary<string, string> versions);

    /// <summary>The ingest's running totals of frames it refused that claimed to come from this collector, by reason.</summary>
    Task ReportRejections(string collectorId, IReadOnlyDictionary<string, long> totals);

    Task<MachineSnapshot> GetSnapshot();
}

[GenerateSerializer, Immutable]
public sealed record MachineSnapshot(
    [property: Id(0)] string Id,
    [property: Id(1)] string? Hostname,
    [property: Id(2)] DateTimeOffset? LastSeen,
    [property: Id(3)] IReadOnlyList<CollectorSnapshot> Collectors,
    [property: Id(4)] IReadOnlyDictionary<string, string> Versions,
    [property: Id(5)] IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> Rejected);

[GenerateSerializer, Immutable]
public sealed record CollectorSnapshot(
    [property: Id(0)] string Id,
    [property: Id(1)] ulong Instance,
    [property: Id(2)] string Version,
    [property: Id(3)] string TaskId,
    [property: Id(4)] DateTimeOffset LastSeen,
    [property: Id(5)] ulong LastSequence,
    [property: Id(6)] ulong Events,
    [property: Id(7)] ulong KernelDrops,
    [property: Id(8)] ulong SendDrops,
    [property: Id(9)] ulong Gaps,
    [property: Id(10)] string State);
