using Scope.Abstractions;
using Scope.Grains.Placement;

namespace Scope.Fleet.Tests;

/// <summary>
/// Placement in a cluster of one core and two edges: pinned grains only on their machine's edge,
/// everything else (Orleans' stream and pub/sub grains included) only on the core, and no fallback.
/// Many keys per case, so a placement that ignored the rules would be caught at random too.
/// </summary>
public sealed class PlacementTests(FleetCluster fleet) : IClassFixture<FleetCluster>
{
    private static readonly string[] Machines = [FleetCluster.MachineA, FleetCluster.MachineB];

    private SiloAddress EdgeOf(string machine) => machine == FleetCluster.MachineA ? fleet.EdgeA : fleet.EdgeB;

    [Fact]
    public async Task Machine_and_process_grains_activate_only_on_their_machines_edge()
    {
        foreach (var machine in Machines)
        {
            var machineGrain = fleet.Client.GetGrain<IMachineGrain>(machine);
            Assert.Equal(machine, (await machineGrain.GetSnapshot()).Id);
            Assert.Equal([EdgeOf(machine)], await fleet.ActiveOn(machineGrain));

            for (uint pid = 100; pid < 120; pid++)
            {
                var process = fleet.Client.GetGrain<IProcessGrain>(ProcessKey.Format(machine, pid, 5_000 + pid));
                await process.GetSnapshot();
                var where = await fleet.ActiveOn(process);
                Assert.True(where.SequenceEqual([EdgeOf(machine)]),
                    $"process {pid} of {machine} is active on [{string.Join(", ", where.Select(fleet.NameOf))}], not only on {fleet.NameOf(EdgeOf(machine))}");
            }
        }
    }

    [Fact]
    public async Task A_pinned_grain_sees_itself_on_its_machines_edge()
    {
        foreach (var machine in Machines)
        {
            var where = await fleet.Client.GetGrain<IPinnedProbeGrain>(machine).WhereAmI();
            Assert.Equal(fleet.NameOf(EdgeOf(machine)), fleet.NameOf(SiloAddress.FromParsableString(where)));
        }
    }

    [Fact]
    public async Task Cluster_wide_grains_activate_only_on_the_core()
    {
        for (var i = 0; i < 40; i++)
        {
            var where = SiloAddress.FromParsableString(await fleet.Client.GetGrain<IClusterProbeGrain>($"probe-{i}").WhereAmI());
            Assert.True(where == fleet.Core, $"cluster-wide probe {i} runs on {fleet.NameOf(where)}");
        }
    }

    [Fact]
    public async Task A_stream_from_an_edge_reaches_its_subscriber_on_the_core_through_core_hosted_stream_grains()
    {
        foreach (var (machine, value) in new[] { (FleetCluster.MachineA, 7), (FleetCluster.MachineB, 11) })
        {
            await fleet.Client.GetGrain<IPinnedProbeGrain>(machine).Publish(value);
            var sink = fleet.Client.GetGrain<IProbeSinkGrain>(machine);
            var state = await EventuallyAsync(sink.Received, s => s.Items.Contains(value), $"{machine}'s item at its subscriber");
            Assert.Equal(fleet.NameOf(fleet.Core), fleet.NameOf(SiloAddress.FromParsableString(state.Silo)));
        }
        // Orleans' own grains behind the stream: placed by SCOPE's default, so never on an edge.
        foreach (var type in new[] { "memorystreamqueue", "pubsubrendezvous" })
        {
            var silos = await fleet.SilosWithType(type);
            Assert.True(silos.All(s => s == fleet.Core), $"{type} grains on [{string.Join(", ", silos.Select(fleet.NameOf))}]");
        }
    }

    [Fact]
    public async Task A_pinned_grain_of_a_machine_without_a_silo_fails_with_the_placement_exception()
    {
        var orphan = fleet.Client.GetGrain<IMachineGrain>("machine-c");
        var e = await Assert.ThrowsAsync<MachinePlacementException>(orphan.GetSnapshot);
        Assert.Contains("No silo hosts machine 'machine-c'", e.Message, StringComparison.Ordinal);
        var process = fleet.Client.GetGrain<IProcessGrain>(ProcessKey.Format("machine-c", 1, 2));
        e = await Assert.ThrowsAsync<MachinePlacementException>(process.GetSnapshot);
        Assert.Contains("No silo hosts machine 'machine-c'", e.Message, StringComparison.Ordinal);
        Assert.Empty(await fleet.ActiveOn(orphan));
        Assert.Empty(await fleet.ActiveOn(process));
    }

    [Fact]
    public async Task A_process_grain_sent_to_another_machines_silo_never_runs_there_and_its_callers_find_its_own()
    {
        var key = ProcessKey.Format(FleetCluster.MachineB, 4242, 99);
        var process = fleet.Client.GetGrain<IProcessGrain>(key);
        // The core places the grain on edge A, as a stale location would send it there.
        var caller = fleet.Client.GetGrain<IClusterProbeGrain>("caller-process");
        Assert.Equal(key, await caller.CallProcess(key, fleet.EdgeA.ToParsableString()));
        Assert.True(FleetCluster.Forced.ContainsKey(process.GetGrainId()), "the placement was not forced: the test proved nothing");
        // Edge A refused it; the call was answered by edge B, where the grain now lives. (Edge A's
        // refused activation stays in its catalog until its deactivation ends.)
        await EventuallyAsync(() => fleet.ActiveOn(process), where => where.SequenceEqual([fleet.EdgeB]), "the process grain only on edge B");
        // The core's next call, placed by nobody (it has a location cached), reaches edge B too.
        Assert.Equal(key, await caller.CallProcess(key, null));
        Assert.Equal(key, (await process.GetSnapshot()).Id);
        Assert.Equal([fleet.EdgeB], await fleet.ActiveOn(process));
    }

    [Fact]
    public async Task A_machine_grain_sent_to_another_machines_silo_never_runs_there()
    {
        // The external machine: no other test touches its grain, so no silo has its location cached.
        var machine = fleet.Client.GetGrain<IMachineGrain>(FleetCluster.MachineAExternal);
        var caller = fleet.Client.GetGrain<IClusterProbeGrain>("caller-machine");
        Assert.Equal(FleetCluster.MachineAExternal, await caller.CallMachine(FleetCluster.MachineAExternal, fleet.EdgeB.ToParsableString()));
        Assert.True(FleetCluster.Forced.ContainsKey(machine.GetGrainId()), "the placement was not forced: the test proved nothing");
        await EventuallyAsync(() => fleet.ActiveOn(machine), where => where.SequenceEqual([fleet.EdgeA]), "the machine grain only on edge A");
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        // Stream delivery is asynchronous: poll the state itself; the deadline only bounds a failure.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"never saw {what}");
            await Task.Delay(50);
        }
    }
}
