using Orleans.Placement;
using Orleans.Streams;
using Orleans.Streams.Core;
using Scope.Grains;
using Scope.Grains.Placement;

namespace Scope.Fleet.Tests;

/// <summary>A machine-pinned grain (key: a machine id) that says where it runs and publishes on its machine's test stream.</summary>
public interface IPinnedProbeGrain : IGrainWithStringKey
{
    Task<string> WhereAmI();

    Task Publish(int value);
}

/// <summary>A grain with no placement of its own: SCOPE's default, cluster-wide placement applies.</summary>
public interface IClusterProbeGrain : IGrainWithStringKey
{
    Task<string> WhereAmI();

    /// <summary>
    /// Calls a process grain from this (core) silo, so that its placement and its location cache are
    /// this silo's; <paramref name="forceSilo"/> forces the placement (see FleetCluster.ForceSiloKey).
    /// </summary>
    Task<string> CallProcess(string key, string? forceSilo);

    /// <summary>The same for a machine grain.</summary>
    Task<string> CallMachine(string machineId, string? forceSilo);
}

/// <summary>The implicit subscriber of <see cref="FleetStreams.Probe"/>: what it received, and where it runs.</summary>
public interface IProbeSinkGrain : IGrainWithStringKey
{
    Task<SinkState> Received();
}

[GenerateSerializer, Immutable]
public sealed record SinkState([property: Id(0)] string Silo, [property: Id(1)] IReadOnlyList<int> Items);

public static class FleetStreams
{
    public const string Probe = "fleet-probe";
}

[MachinePinned(MachineKey.MachineId), Immovable]
internal sealed class PinnedProbeGrain(ILocalSiloDetails silo) : Grain, IPinnedProbeGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        MachinePinning.EnsureOnItsMachine(this);
        return Task.CompletedTask;
    }

    public Task<string> WhereAmI() => Task.FromResult(silo.SiloAddress.ToParsableString());

    public Task Publish(int value) => this.GetStreamProvider(StreamNames.Provider)
        .GetStream<int>(StreamId.Create(FleetStreams.Probe, this.GetPrimaryKeyString()))
        .OnNextAsync(value);
}

internal sealed class ClusterProbeGrain(ILocalSiloDetails silo) : Grain, IClusterProbeGrain
{
    public Task<string> WhereAmI() => Task.FromResult(silo.SiloAddress.ToParsableString());

    public async Task<string> CallProcess(string key, string? forceSilo)
    {
        using var _ = Force(forceSilo);
        return (await GrainFactory.GetGrain<Scope.Abstractions.IProcessGrain>(key).GetSnapshot()).Id;
    }

    public async Task<string> CallMachine(string machineId, string? forceSilo)
    {
        using var _ = Force(forceSilo);
        return (await GrainFactory.GetGrain<Scope.Abstractions.IMachineGrain>(machineId).GetSnapshot()).Id;
    }

    private static Forced? Force(string? forceSilo)
    {
        if (forceSilo is null)
            return null;
        RequestContext.Set(FleetCluster.ForceSiloKey, forceSilo);
        return new Forced();
    }

    private sealed class Forced : IDisposable
    {
        public void Dispose() => RequestContext.Remove(FleetCluster.ForceSiloKey);
    }
}

[ImplicitStreamSubscription(FleetStreams.Probe)]
internal sealed class ProbeSinkGrain(ILocalSiloDetails silo) : Grain, IProbeSinkGrain, IAsyncObserver<int>, IStreamSubscriptionObserver
{
    private readonly List<int> _items = [];

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<int>().ResumeAsync(this);

    public Task OnNextAsync(int item, StreamSequenceToken? token = null)
    {
        _items.Add(item);
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    public Task<SinkState> Received() => Task.FromResult(new SinkState(silo.SiloAddress.ToParsableString(), [.. _items]));
}
