using Microsoft.AspNetCore.Http.HttpResults;
using Scope.Abstractions;
using Scope.Silo.Storage;

namespace Scope.Silo.Api;

internal static class MachineEndpoints
{
    public sealed record Machine(
        string Id, string? Hostname, IReadOnlyDictionary<string, string> Versions, DateTimeOffset LastSeen,
        IReadOnlyList<Collector> Collectors);

    /// <summary>
    /// Per collector: events persisted; drops (kernel: the ring buffer or maps were full; send: the
    /// collector's socket and queue were full; persist: the store's buffer was full); gaps (lost in
    /// flight, e.g. in a silo that died); batches rejected by the ingest (bad MAC, version, length).
    /// </summary>
    public sealed record Collector(
        string Id, string Version, string TaskId, string State, DateTimeOffset LastSeen, int Instances,
        long Events, long Drops, Drops DropsDetail, long Gaps, long Rejected, IReadOnlyDictionary<string, long> RejectedByReason);

    public sealed record Drops(long Kernel, long Send, long Persist, IReadOnlyList<long> KernelByReason);

    public static void MapMachineEndpoints(this RouteGroupBuilder api) =>
        api.MapGet("/machines", ListMachines);

    /// <summary>Counters PostgreSQL kept (they survive restarts), with the machine grain's live view: inventory and rejections.</summary>
    private static async Task<Ok<IReadOnlyList<Machine>>> ListMachines(ScopeReadStore store, IGrainFactory grains, CancellationToken ct)
    {
        var machines = await store.ListMachinesAsync(ct);
        var snapshots = await Task.WhenAll(machines.Select(m => grains.GetGrain<IMachineGrain>(m.Id).GetSnapshot()));
        IReadOnlyList<Machine> result = [.. machines.Zip(snapshots, (m, live) => new Machine(
            m.Id, m.Hostname ?? live.Hostname, m.Versions.Count > 0 ? m.Versions : live.Versions, m.LastSeen,
            [.. m.Collectors.Select(c =>
            {
                var rejected = live.Rejected.TryGetValue(c.CollectorId, out var r) ? r : new Dictionary<string, long>();
                return new Collector(
                    c.CollectorId, c.Version, c.TaskId, c.State, c.LastSeen, c.Instances, c.PersistedEvents,
                    c.KernelDrops + c.SendDrops + c.PersistDrops,
                    new Drops(c.KernelDrops, c.SendDrops, c.PersistDrops, c.KernelDropsByReason),
                    c.GapEvents,
                    rejected.Values.Sum(),
                    rejected);
            })]))];
        return TypedResults.Ok(result);
    }
}
