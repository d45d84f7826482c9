using Scope.Grains.Placement;

namespace Scope.Fleet.Tests;

/// <summary>Roles, the metadata a silo publishes, and the activation check's rule.</summary>
public sealed class IdentityTests
{
    [Theory]
    [InlineData("all", ScopeRole.All)]
    [InlineData("core", ScopeRole.Core)]
    [InlineData("edge", ScopeRole.Edge)]
    public void Roles_parse_from_their_exact_names(string name, ScopeRole role)
    {
        Assert.Equal(role, ScopeRoles.Parse(name));
        Assert.Equal(name, role.Name());
    }

    [Theory]
    [InlineData("Edge")]
    [InlineData("cor")]
    [InlineData("")]
    [InlineData(" all")]
    public void Anything_else_is_refused_naming_its_source(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => ScopeRoles.Parse(name, "--role"));
        Assert.Contains($"--role must be 'core', 'edge' or 'all' (got '{name}')", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void What_each_role_hosts()
    {
        Assert.Equal((true, true), (ScopeRole.All.HostsMachines(), ScopeRole.All.HostsClusterWide()));
        Assert.Equal((false, true), (ScopeRole.Core.HostsMachines(), ScopeRole.Core.HostsClusterWide()));
        Assert.Equal((true, false), (ScopeRole.Edge.HostsMachines(), ScopeRole.Edge.HostsClusterWide()));
    }

    [Fact]
    public void An_edge_publishes_its_role_its_machine_and_its_external_machines_and_reads_back_the_same()
    {
        var edge = new ScopeSiloIdentity(ScopeRole.Edge, "m1", ["x1", "m1", "x2", "x1"]);
        var metadata = edge.ToMetadata();
        Assert.Equal(new Dictionary<string, string>
        {
            ["scope.role"] = "edge",
            ["scope.machine"] = "m1",
            ["scope.external-machines"] = "x1,x2",
        }, metadata);
        var back = ScopeSiloIdentity.FromMetadata(metadata);
        Assert.NotNull(back);
        Assert.Equal((ScopeRole.Edge, "m1"), (back.Role, back.MachineId));
        Assert.Equal(["x1", "x2"], back.ExternalMachines);
        Assert.True(back.HostsMachine("m1") && back.HostsMachine("x2"));
        Assert.False(back.HostsMachine("m2") || back.HostsMachine("M1") || back.HostsMachine(""));
    }

    [Fact]
    public void A_core_publishes_only_its_role_and_hosts_no_machine()
    {
        var core = new ScopeSiloIdentity(ScopeRole.Core, null);
        Assert.Equal(new Dictionary<string, string> { ["scope.role"] = "core" }, core.ToMetadata());
        Assert.False(core.HostsMachine("m1"));
        Assert.Throws<ArgumentException>(() => new ScopeSiloIdentity(ScopeRole.Core, "m1"));
    }

    [Fact]
    public void Edge_and_all_need_a_machine_id_that_fits_the_metadata()
    {
        Assert.Throws<ArgumentException>(() => new ScopeSiloIdentity(ScopeRole.Edge, null));
        Assert.Throws<ArgumentException>(() => new ScopeSiloIdentity(ScopeRole.All, ""));
        Assert.Throws<ArgumentException>(() => new ScopeSiloIdentity(ScopeRole.Edge, "a,b"));
        Assert.Throws<ArgumentException>(() => new ScopeSiloIdentity(ScopeRole.Edge, "m1", ["x 1"]));
        Assert.True(new ScopeSiloIdentity(ScopeRole.All, "m1").HostsMachine("m1"));
    }

    [Fact]
    public void Metadata_without_a_readable_scope_role_means_unknown()
    {
        Assert.Null(ScopeSiloIdentity.FromMetadata(new Dictionary<string, string>()));
        Assert.Null(ScopeSiloIdentity.FromMetadata(new Dictionary<string, string> { ["scope.role"] = "gateway" }));
        Assert.Null(ScopeSiloIdentity.FromMetadata(new Dictionary<string, string> { ["scope.role"] = "edge" }));
    }

    [Theory]
    [InlineData(MachineKey.MachineId, "m1", "m1")]
    [InlineData(MachineKey.ProcessKey, "m1.42.1000", "m1")]
    [InlineData(MachineKey.ProcessKey, "e2e.host.7.8", "e2e.host")]
    [InlineData(MachineKey.ProcessKey, "m1", null)]
    [InlineData(MachineKey.ProcessKey, "m1.x.1", null)]
    [InlineData(MachineKey.MachineId, "", null)]
    public void Keys_name_their_machine(MachineKey kind, string key, string? machine) =>
        Assert.Equal(machine, MachinePinnedPlacement.MachineOf(kind, key));

    [Fact]
    public void The_activation_check_passes_only_on_a_silo_that_hosts_the_keys_machine()
    {
        var edgeA = new ScopeSiloIdentity(ScopeRole.Edge, "a", ["ext"]);
        MachinePinning.Check(edgeA, MachineKey.ProcessKey, "a.1.2", "p");
        MachinePinning.Check(edgeA, MachineKey.MachineId, "ext", "m");
        MachinePinning.Check(new ScopeSiloIdentity(ScopeRole.All, "a"), MachineKey.MachineId, "a", "m");

        var wrong = Assert.Throws<MachinePlacementException>(() => MachinePinning.Check(edgeA, MachineKey.ProcessKey, "b.1.2", "p"));
        Assert.Contains("pinned to machine 'b'", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("edge (machine a; also ext)", wrong.Message, StringComparison.Ordinal);
        Assert.Throws<MachinePlacementException>(() => MachinePinning.Check(new ScopeSiloIdentity(ScopeRole.Core, null), MachineKey.MachineId, "a", "m"));
        Assert.Throws<MachinePlacementException>(() => MachinePinning.Check(null, MachineKey.MachineId, "a", "m"));
        Assert.Throws<MachinePlacementException>(() => MachinePinning.Check(edgeA, MachineKey.ProcessKey, "a", "p"));
    }

    [Fact]
    public void Machine_and_process_grains_declare_how_their_keys_name_the_machine()
    {
        var grains = typeof(MachinePinnedPlacement).Assembly;
        Assert.Equal(MachineKey.MachineId, MachinePinnedPlacement.KeyKindOf(grains.GetType("Scope.Grains.MachineGrain", throwOnError: true)!));
        Assert.Equal(MachineKey.ProcessKey, MachinePinnedPlacement.KeyKindOf(grains.GetType("Scope.Grains.ProcessGrain", throwOnError: true)!));
        foreach (var name in new[] { "Scope.Grains.MachineGrain", "Scope.Grains.ProcessGrain" })
            Assert.NotNull(grains.GetType(name, throwOnError: true)!.GetCustomAttributes(typeof(Orleans.Placement.ImmovableAttribute), inherit: false).SingleOrDefault());
    }
}
