using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Scope.Events;
using Scope.Grains.Placement;
using Scope.Silo.Hosting;

namespace Scope.Fleet.Tests;

/// <summary>scope-silo's side: --role and Scope:Role, the identity a silo derives, and the machine id files.</summary>
public sealed class SiloHostingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scope-fleet-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IConfiguration Config(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build();

    [Theory]
    [InlineData("core", ScopeRole.Core)]
    [InlineData("edge", ScopeRole.Edge)]
    [InlineData("all", ScopeRole.All)]
    public void The_role_argument_sets_Scope_Role(string role, ScopeRole expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddScopeConfiguration(["--role", role]);
        Assert.Equal(expected, builder.Configuration.GetScopeRole());
    }

    [Theory]
    [InlineData("Core")]
    [InlineData("both")]
    public void A_bad_role_argument_stops_start_up_naming_it(string role)
    {
        var e = Assert.Throws<ArgumentException>(() => Host.CreateApplicationBuilder().AddScopeConfiguration(["--role", role]));
        Assert.Contains("--role must be 'core', 'edge' or 'all'", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => Host.CreateApplicationBuilder().AddScopeConfiguration(["--role"]));
        Assert.Contains("(got '')", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scope_Role_from_configuration_is_checked_too_and_defaults_to_all()
    {
        Assert.Equal(ScopeRole.Edge, Config(("Scope:Role", "edge")).GetScopeRole());
        Assert.Equal(ScopeRole.All, Config().GetScopeRole());
        Assert.Equal(ScopeRole.All, Config(("Scope:Role", "")).GetScopeRole());
        var e = Assert.Throws<ArgumentException>(() => Config(("Scope:Role", "EDGE")).GetScopeRole());
        Assert.Contains("Scope:Role must be", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_edge_hosts_its_machine_and_the_machines_of_its_external_collectors()
    {
        var identity = OrleansHosting.SiloIdentity(Config(
            ("Scope:Role", "edge"), ("Scope:MachineId", "m1"),
            ("Scope:Ingest:Collectors:0:Id", "loadgen"), ("Scope:Ingest:Collectors:0:MachineId", "load-1"),
            ("Scope:Ingest:Collectors:1:Id", "other"), ("Scope:Ingest:Collectors:1:MachineId", "")));
        Assert.Equal((ScopeRole.Edge, "m1"), (identity.Role, identity.MachineId));
        Assert.Equal(["load-1"], identity.ExternalMachines);
    }

    [Fact]
    public void A_core_carries_no_machine_id_even_when_one_is_configured()
    {
        var identity = OrleansHosting.SiloIdentity(Config(("Scope:Role", "core"), ("Scope:MachineId", "m1")));
        Assert.Equal((ScopeRole.Core, (string?)null), (identity.Role, identity.MachineId));
        Assert.Equal(new Dictionary<string, string> { ["scope.role"] = "core" }, identity.ToMetadata());
    }

    [Fact]
    public void The_machine_id_comes_from_the_first_file_that_holds_one_protected_never_raw()
    {
        const string Raw = "0123456789abcdef0123456789abcdef";
        var missing = Path.Combine(_dir, "missing");
        var empty = Path.Combine(_dir, "empty");
        var dbus = Path.Combine(_dir, "dbus");
        File.WriteAllText(empty, "\n");
        File.WriteAllText(dbus, Raw + "\n");

        var id = LocalMachine.ProtectedIdFrom([missing, empty, dbus]);
        Assert.Equal(MachineId.Protect(Raw), id);
        Assert.DoesNotContain(Raw, id, StringComparison.Ordinal);
        Assert.Equal(["/etc/machine-id", "/var/lib/dbus/machine-id"], LocalMachine.MachineIdFiles);
    }

    [Fact]
    public void Without_any_machine_id_the_error_names_the_files_and_the_override()
    {
        var e = Assert.Throws<InvalidOperationException>(() => LocalMachine.ProtectedIdFrom([Path.Combine(_dir, "a"), Path.Combine(_dir, "b")]));
        Assert.Contains("Scope:MachineId", e.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_dir, "b"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scope_MachineId_overrides_the_files()
    {
        Assert.Equal("test-host", new LocalMachine(Config(("Scope:MachineId", "test-host"))).Id);
    }
}
