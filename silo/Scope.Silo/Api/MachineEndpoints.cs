using Microsoft.AspNetCore.Http.HttpResults;
using Scope.Abstractions;
using Scope.Silo.Storage;

namespace Scope.Silo.Api;

internal static class MachineEndpoints
{
    public sealed record Machine(
        string Id, string? Hostname, IReadOnlyDictionary<string, string> Versions, DateTimeOffset LastSeen,
        IReadOnlyList<Collector> Collectors, Agent? Agent);

    /// <summary>
    /// The machine's host agent, as it last saw the machine (null when no agent answers: its silo is
    /// not running). Collectors: the task collectors it supervises now, with their versions and tasks.
    /// </summary>
    public sealed record Agent(
        string Hostname, string Kernel, string CpuModel, int CpuCount, IReadOnlyList<Gpu> Gpus,
        IReadOnlyList<TaskCollector> Collectors, IReadOnlyList<string> ActiveTasks, DateTimeOffset LastHeartbeat, DateTimeOffset StartedAt);

    public sealed record Gpu(string BusId, string Model);

    public sealed record TaskCollector(string TaskId, string CollectorId, int? Pid, string Version, string State, DateTimeOffset StartedAt, int Restarts);

    /// <summary>
    /// Per collector: events persisted; drops (kernel: the ring buffer or maps were full; send: the
    /// collector's socket and queue were full; persist: the store's buffer was full); gaps (lost in
    /// flight, e.g. in a silo that died); batches rejected by the ingest (bad MAC, version, length).
    /// </summary>
    public sealed record Collector(
        string Id, string Version, string TaskId, string State, DateTimeOffset LastSeen, int Instances,
        long Events, long Drops, Drops DropsDetail, long Gaps, long Rejected, IReadOnlyDictionary<string, long> RejectedByReason);

    public sealed record Drops(long Kernel, long Send, long Persist, IReadOnlyList<long> KernelByReason);

    // A machine whose silo is not in the cluster (its edge is down, or an old machine id is still in
    // the store) has no live view: its grain cannot be placed anywhere. What storage kept still answers.
    private static async Task<MachineSnapshot> LiveOf(IGrainFactory grains, string id)
    {
        try
        {
            return await grains.GetGrain<IMachineGrain>(id).GetSnapshot();
        }
        catch (Scope.Grains.Placement.MachinePlacementException)
        {
            return new MachineSnapshot(id, null, null, [], new Dictionary<string, string>(), new Dictionary<string, IReadOnlyDictionary<string, long>>());
        }
    }

    public static void MapMachineEndpoints(this RouteGroupBuilder api) =>
        api.MapGet("/machines", ListMachines);

    /// <summary>Counters PostgreSQL kept (they survive restarts), with the machine grain's live view: inventory and rejections.</summary>
    private static async Task<Ok<IReadOnlyList<Machine>>> ListMachines(ScopeReadStore store, IGrainFactory grains, CancellationToken ct) =>
        TypedResults.Ok(await ReadAsync(store, grains, ct));

    /// <summary>What GET /api/v1/machines answers; the console's machines page shows the same.</summary>
    internal static async Task<IReadOnlyList<Machine>> ReadAsync(ScopeReadStore store, IGrainFactory grains, CancellationToken ct)
    {
        var machines = await store.ListMachinesAsync(ct);
        var snapshots = await Task.WhenAll(machines.Select(m => LiveOf(grains, m.Id)));
        var agents = await Task.WhenAll(machines.Select(m => AgentOf(grains, m.Id)));
        var agentOf = machines.Zip(agents).ToDictionary(p => p.First.Id, p => p.Second, StringComparer.Ordinal);
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
            })], agentOf[m.Id]))];
        return result;
    }

    /// <summary>The host agent's inventory, or null when it does not answer within a few seconds.</summary>
    private static async Task<Agent?> AgentOf(IGrainFactory grains, string machineId)
    {
        try
        {
            var i = await grains.GetGrain<IHostAgentGrain>(machineId).GetInventory().WaitAsync(TimeSpan.FromSeconds(3));
            return new Agent(
                i.Host.Hostname, i.Host.Kernel, i.Host.CpuModel, i.Host.CpuCount, [.. i.Host.Gpus.Select(g => new Gpu(g.BusId, g.Model))],
                [.. i.Collectors.Select(c => new TaskCollector(c.TaskId, c.CollectorId, c.Pid, c.Version, c.State, c.StartedAt, c.Restarts))],
                i.ActiveTasks, i.LastHeartbeat, i.StartedAt);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // No silo of that machine in the cluster (or it is not answering): the machine is listed without its agent.
            return null;
        }
    }
}
