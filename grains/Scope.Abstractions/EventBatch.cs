namespace Scope.Abstractions;

/// <summary>
/// One authenticated collector batch on its way from ingest through the machine's grain to the
/// stream subscribers. <see cref="Payload"/> holds the records exactly as the kernel wrote them
/// (bpf/scope_events.h); the rest is the batch header, enriched.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record EventBatch
{
    [Id(0)] public required string MachineId { get; init; }
    [Id(1)] public required string CollectorId { get; init; }
    [Id(2)] public required ulong Instance { get; init; }
    [Id(3)] public required ulong Sequence { get; init; }
    /// <summary>Records this collector instance produced before this batch.</summary>
    [Id(4)] public required ulong FirstEvent { get; init; }
    [Id(5)] public required int RecordCount { get; init; }
    /// <summary>Wall clock = boot-time ns − <see cref="BoottimeNs"/> + <see cref="RealtimeNs"/>.</summary>
    [Id(6)] public required ulong RealtimeNs { get; init; }
    [Id(7)] public required ulong BoottimeNs { get; init; }
    [Id(8)] public required ulong[] KernelDrops { get; init; }
    [Id(9)] public required ulong SendDrops { get; init; }
    [Id(10)] public required string CollectorVersion { get; init; }
    [Id(11)] public required string TaskId { get; init; }
    [Id(12)] public required bool Final { get; init; }
    [Id(13)] public required DateTimeOffset ReceivedAt { get; init; }
    [Id(14)] public required ReadOnlyMemory<byte> Payload { get; init; }
    /// <summary>Records lost before this batch (between the previous one the cluster kept and this one), as the machine grain counted them.</summary>
    [Id(15)] public ulong GapBefore { get; init; }

    /// <summary>
    /// Non-zero: the payload stayed in the publishing silo (IBatchPayloads in Scope.Grains) and
    /// <see cref="Payload"/> is empty; <see cref="PayloadLength"/> says how large it is.
    /// </summary>
    [Id(16)] public long PayloadHandle { get; init; }
    [Id(17)] public int PayloadLength { get; init; }

    public long ToUnixNanos(ulong bootNs) => (long)(bootNs - BoottimeNs + RealtimeNs);
}
