using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;
using Orleans.TestingHost;
using Scope.Grains;
using Scope.Grains.Placement;

namespace Scope.Fleet.Tests;

/// <summary>
/// One core and two edge silos (machines A and B), each configured with SCOPE's placement exactly as
/// scope-silo configures it, with stand-ins for the storage the grains would otherwise reach.
/// </summary>
public sealed class FleetCluster : IAsyncLifetime
{
    public const string MachineA = "machine-a";
    public const string MachineB = "machine-b";

    /// <summary>A machine with no silo of its own whose collector pushes to edge A's ingest.</summary>
    public const string MachineAExternal = "machine-a-ext";

    /// <summary>Request-context key that makes <see cref="ForcingDirector"/> place a pinned grain on the silo it names.</summary>
    public const string ForceSiloKey = "scope.test.force-silo";

    private InProcessTestCluster? _cluster;

    /// <summary>Placements <see cref="ForcingDirector"/> forced, by grain: a test checks its detour was really taken.</summary>
    public static ConcurrentDictionary<GrainId, int> Forced { get; } = new();

    public InProcessTestCluster Cluster => _cluster!;

    public IClusterClient Client => Cluster.Client;

    public SiloAddress Core { get; private set; } = null!;

    public SiloAddress EdgeA { get; private set; } = null!;

    public SiloAddress EdgeB { get; private set; } = null!;

    public static ScopeSiloIdentity IdentityOf(string siloName) => siloName switch
    {
        "Silo_0" => new ScopeSiloIdentity(ScopeRole.Core, null),
        "Silo_1" => new ScopeSiloIdentity(ScopeRole.Edge, MachineA, [MachineAExternal]),
        "Silo_2" => new ScopeSiloIdentity(ScopeRole.Edge, MachineB),
        _ => throw new InvalidOperationException($"no identity planned for {siloName}"),
    };

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((options, silo) =>
        {
            silo.AddScopePlacement(IdentityOf(options.SiloName));
            // The production director, behind a door only this test opens: a request context entry
            // forces a placement, standing in for the stale location cache of orleans issue 9685.
            silo.Services.AddKeyedSingleton<IPlacementDirector>(typeof(MachinePinnedPlacement), (sp, _) =>
                new ForcingDirector(ActivatorUtilities.CreateInstance<MachinePinnedPlacementDirector>(sp)));
            silo.AddMemoryStreams(StreamNames.Provider, b => b.ConfigurePartitioning(1));
            silo.AddMemoryGrainStorage("PubSubStore");
            silo.Services.AddSingleton<ICollectorLedger, NoLedger>();
            silo.Services.AddSingleton<IPersistencePressure, NoPressure>();
            silo.Services.AddSingleton<IBatchPayloads, NoPayloads>();
            silo.Services.AddSingleton<IProcessRecordStore, NoRecords>();
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        var byName = _cluster.Silos.ToDictionary(s => s.Name, s => s.SiloAddress);
        (Core, EdgeA, EdgeB) = (byName["Silo_0"], byName["Silo_1"], byName["Silo_2"]);
        await WaitForMetadataAsync();
    }

    /// <summary>
    /// Every silo learns the others' metadata after they join, asynchronously; until then it places
    /// nothing on them. Wait for that state itself (the deadline only bounds a failure).
    /// </summary>
    private async Task WaitForMetadataAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var missing = (
                from viewer in Cluster.Silos
                let cache = viewer.ServiceProvider.GetRequiredService<ISiloMetadataCache>()
                from other in Cluster.Silos
                where other.SiloAddress != viewer.SiloAddress
                      && ScopeSiloIdentity.FromMetadata(cache.GetSiloMetadata(other.SiloAddress).Metadata) is null
                select $"{viewer.Name} does not know {other.Name}").ToList();
            if (missing.Count == 0)
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("silo metadata did not spread: " + string.Join("; ", missing));
            await Task.Delay(100);
        }
    }

    /// <summary>Where a grain is active, from each silo's own catalog (not the directory).</summary>
    public async Task<List<SiloAddress>> ActiveOn(IAddressable grain)
    {
        var id = grain.GetGrainId();
        var stats = await Client.GetGrain<IManagementGrain>(0)
            .GetDetailedGrainStatistics(hostsIds: [.. Cluster.Silos.Select(s => s.SiloAddress)]);
        return [.. stats.Where(s => s.GrainId == id).Select(s => s.SiloAddress)];
    }

    /// <summary>Every silo holding an activation of a grain type whose name contains <paramref name="typeName"/>.</summary>
    public async Task<List<SiloAddress>> SilosWithType(string typeName)
    {
        var stats = await Client.GetGrain<IManagementGrain>(0)
            .GetDetailedGrainStatistics(hostsIds: [.. Cluster.Silos.Select(s => s.SiloAddress)]);
        return [.. stats.Where(s => s.GrainType.Contains(typeName, StringComparison.OrdinalIgnoreCase)).Select(s => s.SiloAddress).Distinct()];
    }

    public string NameOf(SiloAddress silo) => Cluster.Silos.Single(s => s.SiloAddress == silo).Name;

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }

    private sealed class ForcingDirector(IPlacementDirector inner) : IPlacementDirector
    {
        public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
            target.RequestContextData?.TryGetValue(ForceSiloKey, out var silo) == true && silo is string address
                ? Task.FromResult(Record(target.GrainIdentity, SiloAddress.FromParsableString(address)))
                : inner.OnAddActivation(strategy, target, context);

        private static SiloAddress Record(GrainId grain, SiloAddress silo)
        {
            Forced.AddOrUpdate(grain, 1, (_, n) => n + 1);
            return silo;
        }
    }

    private sealed class NoLedger : ICollectorLedger
    {
        public Task<CollectorWatermark?> GetWatermark(string machineId, string collectorId, ulong instance, CancellationToken ct) =>
            Task.FromResult<CollectorWatermark?>(null);

        public Task MarkCollector(string machineId, string collectorId, ulong instance, string state, CancellationToken ct) => Task.CompletedTask;
    }

    private sealed class NoPressure : IPersistencePressure
    {
        public ValueTask<bool> WaitForRoomAsync(long bytes, TimeSpan max, CancellationToken ct) => ValueTask.FromResult(true);

        public void InTransit(long delta)
        {
        }
    }

    private sealed class NoPayloads : IBatchPayloads
    {
        public long Put(ReadOnlyMemory<byte> payload) => 0;

        public bool TryTake(long handle, out ReadOnlyMemory<byte> payload)
        {
            payload = default;
            return false;
        }

        public void Release(long handle)
        {
        }
    }

    private sealed class NoRecords : IProcessRecordStore
    {
        public async IAsyncEnumerable<StoredRecord> ReadRecords(string machineId, uint pid, ulong startNs, [EnumeratorCancellation] CancellationToken ct)
        {
            await Task.CompletedTask;
            yield break;
        }
    }
}
