using System.Collections.Immutable;
using System.Net;
using Orleans.Metadata;
using Orleans.Runtime.Placement;
using Scope.Grains.Placement;

namespace Scope.Fleet.Tests;

/// <summary>
/// The directors against a made-up cluster view: cases a live test cluster would need odd silos for
/// (two silos claiming one machine, a silo whose metadata has not arrived, no core at all).
/// </summary>
public sealed class DirectorTests
{
    private static readonly SiloAddress Local = Silo(1), Core = Silo(2), EdgeA = Silo(3), EdgeA2 = Silo(4), Unknown = Silo(5);
    private static readonly GrainType Pinned = GrainType.Create("pinned");

    private static SiloAddress Silo(int n) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11000 + n), n);

    private static SiloIdentities View(ScopeSiloIdentity local, Dictionary<SiloAddress, ScopeSiloIdentity> others) =>
        new(local, () => Local, s => others.TryGetValue(s, out var o) ? o.ToMetadata() : new Dictionary<string, string>());

    private static PlacementTarget Target(GrainType type, string key) =>
        new(GrainId.Create(type, key), [], default, 0);

    [Fact]
    public async Task Cluster_wide_grains_go_only_to_core_or_all_silos_never_to_edges_or_unknown_silos()
    {
        var view = View(new ScopeSiloIdentity(ScopeRole.Edge, "local"), new()
        {
            [Core] = new ScopeSiloIdentity(ScopeRole.Core, null),
            [EdgeA] = new ScopeSiloIdentity(ScopeRole.Edge, "a"),
        });
        var director = new ClusterWidePlacementDirector(view);
        var context = new Context([Local, Core, EdgeA, Unknown]);
        for (var i = 0; i < 50; i++)
            Assert.Equal(Core, await director.OnAddActivation(new ClusterWidePlacement(), Target(GrainType.Create("any"), $"k{i}"), context));
    }

    [Fact]
    public async Task Without_a_core_a_cluster_wide_grain_is_not_placed()
    {
        var view = View(new ScopeSiloIdentity(ScopeRole.Edge, "local"), new() { [EdgeA] = new ScopeSiloIdentity(ScopeRole.Edge, "a") });
        var e = await Assert.ThrowsAsync<NoCoreSiloException>(() =>
            new ClusterWidePlacementDirector(view).OnAddActivation(new ClusterWidePlacement(), Target(GrainType.Create("any"), "k"), new Context([Local, EdgeA, Unknown])));
        Assert.Contains("no SCOPE role known (yet)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pinned_grain_goes_to_the_silo_of_its_machine_external_ones_included()
    {
        var view = View(new ScopeSiloIdentity(ScopeRole.Core, null), new()
        {
            [EdgeA] = new ScopeSiloIdentity(ScopeRole.Edge, "a", ["ext"]),
            [EdgeA2] = new ScopeSiloIdentity(ScopeRole.Edge, "b"),
        });
        var director = new MachinePinnedPlacementDirector(view, Properties(MachineKey.ProcessKey));
        var context = new Context([Local, EdgeA, EdgeA2, Unknown]);
        Assert.Equal(EdgeA, await director.OnAddActivation(new MachinePinnedPlacement(), Target(Pinned, "a.1.2"), context));
        Assert.Equal(EdgeA, await director.OnAddActivation(new MachinePinnedPlacement(), Target(Pinned, "ext.1.2"), context));
        Assert.Equal(EdgeA2, await director.OnAddActivation(new MachinePinnedPlacement(), Target(Pinned, "b.9.9"), context));
        var e = await Assert.ThrowsAsync<MachinePlacementException>(() =>
            director.OnAddActivation(new MachinePinnedPlacement(), Target(Pinned, "c.1.2"), context));
        Assert.Contains("No silo hosts machine 'c'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_machine_claimed_by_two_silos_is_placed_on_neither()
    {
        var view = View(new ScopeSiloIdentity(ScopeRole.Core, null), new()
        {
            [EdgeA] = new ScopeSiloIdentity(ScopeRole.Edge, "a"),
            [EdgeA2] = new ScopeSiloIdentity(ScopeRole.Edge, "a"),
        });
        var e = await Assert.ThrowsAsync<MachinePlacementException>(() =>
            new MachinePinnedPlacementDirector(view, Properties(MachineKey.MachineId))
                .OnAddActivation(new MachinePinnedPlacement(), Target(Pinned, "a"), new Context([Local, EdgeA, EdgeA2])));
        Assert.Contains("claimed by 2 silos", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pinned_grain_type_without_its_key_property_is_not_placed()
    {
        var view = View(new ScopeSiloIdentity(ScopeRole.Edge, "a"), []);
        await Assert.ThrowsAsync<MachinePlacementException>(() =>
            new MachinePinnedPlacementDirector(view, Properties(null))
                .OnAddActivation(new MachinePinnedPlacement(), Target(Pinned, "a"), new Context([Local])));
    }

    private static GrainPropertiesResolver Properties(MachineKey? kind)
    {
        var properties = kind is { } k
            ? ImmutableDictionary.Create<string, string>(StringComparer.Ordinal).Add(MachinePinnedPlacement.KeyProperty, k.ToString())
            : ImmutableDictionary.Create<string, string>(StringComparer.Ordinal);
        var manifest = new GrainManifest(
            ImmutableDictionary<GrainType, GrainProperties>.Empty.Add(Pinned, new GrainProperties(properties)),
            ImmutableDictionary<GrainInterfaceType, GrainInterfaceProperties>.Empty);
        return new GrainPropertiesResolver(new Manifests(new ClusterManifest(
            new MajorMinorVersion(1, 1), ImmutableDictionary<SiloAddress, GrainManifest>.Empty.Add(Local, manifest), [manifest])));
    }

    private sealed class Context(SiloAddress[] silos) : IPlacementContext
    {
        public SiloAddress LocalSilo => Local;
        public SiloStatus LocalSiloStatus => SiloStatus.Active;
        public SiloAddress[] GetCompatibleSilos(PlacementTarget target) => silos;
        public IReadOnlyDictionary<ushort, SiloAddress[]> GetCompatibleSilosWithVersions(PlacementTarget target) => new Dictionary<ushort, SiloAddress[]> { [0] = silos };
    }

    private sealed class Manifests(ClusterManifest current) : IClusterManifestProvider
    {
        public ClusterManifest Current => current;
        public IAsyncEnumerable<ClusterManifest> Updates => Once();
        public GrainManifest LocalGrainManifest => current.AllGrainManifests[0];

        private async IAsyncEnumerable<ClusterManifest> Once()
        {
            await Task.CompletedTask;
            yield return current;
        }
    }
}
