using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Scope.Fleet.Tests;

/// <summary>
/// deploy/: the systemd units (checked by systemd-analyze against a root that holds their binary),
/// make-dev-certs.sh (checked by openssl and by .NET's chain builder, as the silos check a peer), and
/// install-edge.sh / install-core.sh installing into a directory tree. Real tools, no skipping: a
/// missing tool fails the test naming it (CI runs as root on Debian 12 with systemd 252 and openssl 3).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class DeployTests : IDisposable
{
    private const UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode640 = Mode600 | UnixFileMode.GroupRead;
    private const UnixFileMode Mode644 = Mode640 | UnixFileMode.OtherRead;
    private const UnixFileMode Mode700 = Mode600 | UnixFileMode.UserExecute;
    private const UnixFileMode Mode755 = Mode700 | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private const string Db = "Host=10.0.0.1;Port=5432;Username=scope;Password=s3cret-pw;Database=scope";

    private static readonly string Repo = FindRepo();
    private static readonly string Deploy = Path.Combine(Repo, "deploy");
    private static readonly string MakeDevCerts = Path.Combine(Deploy, "certs", "make-dev-certs.sh");

    private readonly string _dir = Directory.CreateTempSubdirectory("scope-deploy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // ---- The units ----------------------------------------------------------------------------

    /// <summary>
    /// systemd 252's `verify` honours --root: unit search paths, ExecStart's binary (it must exist and
    /// be executable) and WorkingDirectory are resolved inside it; only the unit file named on the
    /// command line is read from where it is. So the root gets the shipped unit, a stand-in
    /// scope-silo, and a copy of this host's /usr/lib/systemd/system (without it, the default
    /// dependencies sysinit.target, basic.target, … are "not found" and verify fails).
    /// The unit files themselves are the shipped ones, byte for byte.
    /// </summary>
    [Theory]
    [InlineData("scope-edge.service")]
    [InlineData("scope-core.service")]
    public async Task Each_unit_passes_systemd_analyze_verify_with_no_warning(string unit)
    {
        var root = await VerifyRoot();
        var installed = Path.Combine(root, "etc", "systemd", "system", unit);
        File.Copy(Path.Combine(Deploy, "systemd", unit), installed);

        var r = await Verify(root, installed);
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0 && r.Stdout.Length == 0,
            $"systemd-analyze verify {unit}: exit {r.ExitCode}\n{r.Stdout}{r.Stderr}");

        // The root really is used: without an executable scope-silo in it, the same unit fails.
        File.SetUnixFileMode(Path.Combine(root, "opt", "scope", "silo", "scope-silo"), Mode644);
        r = await Verify(root, installed);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("/opt/scope/silo/scope-silo is not executable", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_reports_an_unknown_key_or_section_so_the_check_above_can_fail()
    {
        var root = await VerifyRoot();
        var broken = Path.Combine(root, "etc", "systemd", "system", "scope-broken.service");
        var text = await File.ReadAllTextAsync(Path.Combine(Deploy, "systemd", "scope-edge.service"));
        text = text.Replace("\nProtectClock=yes\n", "\nProtectClock=yes\nProtectFoo=yes\n", StringComparison.Ordinal) + "[Bogus]\nKey=1\n";
        await File.WriteAllTextAsync(broken, text);

        var r = await Verify(root, broken);
        Assert.Contains("Unknown key 'ProtectFoo' in section [Service]", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("Unknown section 'Bogus'", r.Stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// verify drops an unknown capability name without a word (the bounding set silently ends up
    /// empty), so every name is checked against systemd's own list; syscall names and groups too.
    /// </summary>
    [Fact]
    public async Task Every_capability_and_system_call_the_units_name_is_known_to_systemd()
    {
        var capabilities = (await Tool("systemd-analyze", "capability")).Stdout;
        var known = capabilities.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0].ToUpperInvariant())
            .ToHashSet(StringComparer.Ordinal);
        var filters = (await Tool("systemd-analyze", "syscall-filter")).Stdout;
        var knownCalls = filters.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l[0] != '#').ToHashSet(StringComparer.Ordinal);

        foreach (var unit in new[] { "scope-edge.service", "scope-core.service" })
        {
            var settings = UnitSettings(unit);
            foreach (var cap in settings.Where(s => s.Key is "CapabilityBoundingSet" or "AmbientCapabilities").SelectMany(s => Words(s.Value)))
                Assert.True(known.Contains(cap), $"{unit}: systemd-analyze capability does not know {cap}");
            foreach (var call in settings.Where(s => s.Key == "SystemCallFilter").SelectMany(s => Words(s.Value.TrimStart('~'))))
                Assert.True(knownCalls.Contains(call), $"{unit}: systemd-analyze syscall-filter does not know {call}");
        }
    }

    /// <summary>The hardening choices that were measured (docs/deployment.md) stay as decided.</summary>
    [Fact]
    public void The_units_keep_their_measured_hardening_decisions()
    {
        var edge = Effective(UnitSettings("scope-edge.service"));
        Assert.Equal("/opt/scope/silo/scope-silo --role edge --config /etc/scope/edge.json", edge["ExecStart"]);
        Assert.Equal("root", edge["User"]);
        // Target binaries under /tmp and /home must stay openable where the collector resolves them.
        Assert.Equal("no", edge["PrivateTmp"]);
        Assert.Equal("read-only", edge["ProtectHome"]);
        Assert.Equal("no", edge["ProtectKernelTunables"]);
        Assert.Equal("no", edge["MemoryDenyWriteExecute"]);
        Assert.Equal("mixed", edge["KillMode"]);
        Assert.Equal("infinity", edge["LimitMEMLOCK"]);
        Assert.Equal(
            ["CAP_BPF", "CAP_DAC_READ_SEARCH", "CAP_KILL", "CAP_PERFMON", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE"],
            Words(edge["CapabilityBoundingSet"]).Order(StringComparer.Ordinal));
        Assert.Equal(["@system-service", "bpf", "perf_event_open"], Words(edge["SystemCallFilter"]));

        var core = Effective(UnitSettings("scope-core.service"));
        Assert.Equal("/opt/scope/silo/scope-silo --role core --config /etc/scope/core.json", core["ExecStart"]);
        Assert.Equal("scope", core["User"]);
        Assert.Equal("", core["CapabilityBoundingSet"]);
        Assert.Equal("yes", core["ProtectHome"]);
        Assert.Equal("strict", core["ProtectSystem"]);
        Assert.Equal("no", core["MemoryDenyWriteExecute"]);
        Assert.Equal("/var/lib/scope", core["WorkingDirectory"]);
    }

    [Fact]
    public void The_example_configurations_parse_and_keep_the_api_on_loopback()
    {
        using var edge = JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "edge.example.json")));
        var e = edge.RootElement.GetProperty("Scope");
        Assert.Equal("edge", e.GetProperty("Role").GetString());
        Assert.False(e.GetProperty("Collector").GetProperty("Enabled").GetBoolean());
        Assert.Equal("tcp://127.0.0.1:5557", e.GetProperty("Ingest").GetProperty("Endpoint").GetString());
        Assert.Equal("http://127.0.0.1:8081", e.GetProperty("Api").GetProperty("Urls").GetString());
        Assert.Equal("AdoNet", e.GetProperty("Orleans").GetProperty("Clustering").GetString());

        using var core = JsonDocument.Parse(File.ReadAllText(Path.Combine(Deploy, "core.example.json")));
        var c = core.RootElement.GetProperty("Scope");
        Assert.Equal("core", c.GetProperty("Role").GetString());
        Assert.False(c.TryGetProperty("Collector", out _));
        Assert.Equal("http://127.0.0.1:8080", c.GetProperty("Api").GetProperty("Urls").GetString());
        Assert.Equal("/var/lib/scope/traces", c.GetProperty("Traces").GetProperty("Directory").GetString());
    }

    // ---- make-dev-certs.sh --------------------------------------------------------------------

    [Fact]
    public async Task Dev_certificates_chain_to_their_CA_and_allow_TLS_in_both_directions()
    {
        var a = Path.Combine(_dir, "a");
        var r = await Tool(MakeDevCerts, a, "core=10.0.0.1", "edge-b");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains($"wrote {a}/core.pem", r.Stdout, StringComparison.Ordinal);

        foreach (var name in new[] { "core", "edge-b" })
        {
            var pem = Path.Combine(a, name + ".pem");
            var verify = await Tool("openssl", "verify", "-CAfile", Path.Combine(a, "ca.pem"), pem);
            Assert.True(verify.ExitCode == 0 && verify.Stdout.Contains(": OK", StringComparison.Ordinal), verify.All);
            var eku = await Tool("openssl", "x509", "-noout", "-ext", "extendedKeyUsage", "-in", pem);
            Assert.Contains("TLS Web Server Authentication", eku.Stdout, StringComparison.Ordinal);
            Assert.Contains("TLS Web Client Authentication", eku.Stdout, StringComparison.Ordinal);
            var san = (await Tool("openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", pem)).Stdout;
            Assert.Contains("DNS:" + name, san, StringComparison.Ordinal);
            Assert.Equal(name == "core", san.Contains("IP Address:10.0.0.1", StringComparison.Ordinal));
            Assert.Equal(Mode600, File.GetUnixFileMode(Path.Combine(a, name + ".key")));
            Assert.Equal(Mode644, File.GetUnixFileMode(pem));
        }
        Assert.Equal(Mode600, File.GetUnixFileMode(Path.Combine(a, "ca.key")));

        using (var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(a, "ca.pem"))))
        {
            Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
            foreach (var name in new[] { "core", "edge-b" })
            {
                using var leaf = X509Certificate2.CreateFromPemFile(Path.Combine(a, name + ".pem"), Path.Combine(a, name + ".key"));
                Assert.True(leaf.HasPrivateKey);
                Assert.Equal("CN=" + name, leaf.Subject);
                Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
                Assert.True(ChainBuilds(leaf, ca, out var why), $"{name}: {why}");
            }

            // Another CA's certificate for the same name is not accepted by this one.
            var b = Path.Combine(_dir, "b");
            r = await Tool(MakeDevCerts, b, "edge-b");
            Assert.True(r.ExitCode == 0, r.All);
            using var stranger = X509Certificate2.CreateFromPemFile(Path.Combine(b, "edge-b.pem"), Path.Combine(b, "edge-b.key"));
            Assert.False(ChainBuilds(stranger, ca, out _));
        }

        // A second run reuses the CA, reissues what it is given and leaves nothing else behind.
        var caBefore = await File.ReadAllBytesAsync(Path.Combine(a, "ca.pem"));
        r = await Tool(MakeDevCerts, a, "core=10.0.0.1,10.0.0.2");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("reusing CA", r.Stdout, StringComparison.Ordinal);
        Assert.Equal(caBefore, await File.ReadAllBytesAsync(Path.Combine(a, "ca.pem")));
        Assert.Contains("IP Address:10.0.0.2", (await Tool("openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", Path.Combine(a, "core.pem"))).Stdout, StringComparison.Ordinal);
        Assert.Equal(0, (await Tool("openssl", "verify", "-CAfile", Path.Combine(a, "ca.pem"), Path.Combine(a, "core.pem"))).ExitCode);
        Assert.Equal(
            ["ca.key", "ca.pem", "core.key", "core.pem", "edge-b.key", "edge-b.pem"],
            Directory.GetFileSystemEntries(a).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("bad name", "bad name 'bad name'")]
    [InlineData("edge-c=10.0.0.300", "'10.0.0.300' (for 'edge-c') is not an IPv4 or IPv6 address")]
    [InlineData("edge-c=10.0.0", "'10.0.0' (for 'edge-c') is not an IPv4 or IPv6 address")]
    [InlineData("edge/c", "bad name 'edge/c'")]
    [InlineData("ca", "the name 'ca' is taken")]
    public async Task Bad_names_and_addresses_are_refused_before_anything_is_written(string arg, string message)
    {
        var outDir = Path.Combine(_dir, "out");
        var r = await Tool(MakeDevCerts, outDir, "good", arg);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    // ---- install-edge.sh / install-core.sh ----------------------------------------------------

    [Fact]
    public async Task Install_edge_lays_out_its_files_and_a_second_run_changes_nothing()
    {
        var (release, tls) = await FakeRelease();
        var root = Directory.CreateDirectory(Path.Combine(_dir, "root")).FullName;
        string[] args = ["--core-db", Db, "--address", "10.0.0.22", "--ca", $"{tls}/ca.pem", "--cert", $"{tls}/edge-b.pem",
            "--key", $"{tls}/edge-b.key", "--release", release, "--root", root, "--no-start"];

        var r = await Tool(Path.Combine(Deploy, "install-edge.sh"), args);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.DoesNotContain("s3cret-pw", r.All, StringComparison.Ordinal);
        Assert.Contains("Password=***", r.Stdout, StringComparison.Ordinal);

        string P(string relative) => Path.Combine(root, relative);
        Assert.Equal(Mode755, File.GetUnixFileMode(P("opt/scope/silo/scope-silo")));
        Assert.Equal("stand-in silo\n", await File.ReadAllTextAsync(P("opt/scope/silo/scope-silo.dll")));
        Assert.Equal(Mode755, File.GetUnixFileMode(P("opt/scope/bin/scope-collector")));
        Assert.Equal(Mode700, File.GetUnixFileMode(P("etc/scope/tls")));
        Assert.Equal(Mode644, File.GetUnixFileMode(P("etc/scope/tls/ca.pem")));
        Assert.Equal(Mode644, File.GetUnixFileMode(P("etc/scope/tls/edge.pem")));
        Assert.Equal(Mode600, File.GetUnixFileMode(P("etc/scope/tls/edge.key")));
        Assert.Equal(await File.ReadAllBytesAsync($"{tls}/edge-b.key"), await File.ReadAllBytesAsync(P("etc/scope/tls/edge.key")));
        Assert.Equal(Mode600, File.GetUnixFileMode(P("etc/scope/edge.json")));
        Assert.Equal(Mode644, File.GetUnixFileMode(P("etc/systemd/system/scope-edge.service")));
        Assert.Equal(
            await File.ReadAllTextAsync(Path.Combine(Deploy, "systemd", "scope-edge.service")),
            await File.ReadAllTextAsync(P("etc/systemd/system/scope-edge.service")));

        using (var config = JsonDocument.Parse(await File.ReadAllTextAsync(P("etc/scope/edge.json"))))
        {
            var scope = config.RootElement.GetProperty("Scope");
            Assert.Equal("edge", scope.GetProperty("Role").GetString());
            Assert.Equal(Db, scope.GetProperty("Storage").GetProperty("ConnectionString").GetString());
            Assert.Equal("10.0.0.22", scope.GetProperty("Orleans").GetProperty("AdvertisedAddress").GetString());
            Assert.Equal("AdoNet", scope.GetProperty("Orleans").GetProperty("Clustering").GetString());
            var t = scope.GetProperty("Tls");
            Assert.Equal("/etc/scope/tls/ca.pem", t.GetProperty("CaFile").GetString());
            Assert.Equal("/etc/scope/tls/edge.pem", t.GetProperty("CertFile").GetString());
            Assert.Equal("/etc/scope/tls/edge.key", t.GetProperty("KeyFile").GetString());
            Assert.Equal("/opt/scope/bin/scope-collector", scope.GetProperty("Collector").GetProperty("Path").GetString());
            Assert.False(scope.GetProperty("Collector").GetProperty("Enabled").GetBoolean());
        }

        var first = Snapshot(root);
        r = await Tool(Path.Combine(Deploy, "install-edge.sh"), args);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Equal(first, Snapshot(root));

        // What was installed is a unit systemd accepts, with its binary where ExecStart says.
        await CopySystemUnits(root);
        r = await Verify(root, P("etc/systemd/system/scope-edge.service"));
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, r.All);
    }

    [Fact]
    public async Task Install_edge_dry_run_prints_each_action_and_changes_nothing()
    {
        var (release, tls) = await FakeRelease();
        var root = Directory.CreateDirectory(Path.Combine(_dir, "root")).FullName;
        var r = await Tool(Path.Combine(Deploy, "install-edge.sh"), "--core-db", Db, "--address", "fd00::22",
            "--ca", $"{tls}/ca.pem", "--cert", $"{tls}/edge-b.pem", "--key", $"{tls}/edge-b.key",
            "--release", release, "--root", root, "--prefix", "/srv/scope", "--dry-run");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Empty(Directory.GetFileSystemEntries(root));
        Assert.Contains($"[dry-run] install -m 0755 {release}/bin/scope-collector {root}/srv/scope/bin/scope-collector", r.Stdout, StringComparison.Ordinal);
        Assert.Contains($"[dry-run] install -m 0600 {tls}/edge-b.key {root}/etc/scope/tls/edge.key", r.Stdout, StringComparison.Ordinal);
        Assert.Contains($"[dry-run] write {root}/etc/scope/edge.json (mode 0600)", r.Stdout, StringComparison.Ordinal);
        Assert.Contains($"[dry-run] write {root}/etc/systemd/system/scope-edge.service (mode 0644)", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("dry run: nothing was changed", r.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_edge_refuses_missing_arguments_and_bad_inputs_without_touching_the_root()
    {
        var (release, tls) = await FakeRelease();
        var root = Directory.CreateDirectory(Path.Combine(_dir, "root")).FullName;
        var script = Path.Combine(Deploy, "install-edge.sh");

        var r = await Tool(script, "--address", "10.0.0.22", "--root", root);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("missing --core-db --ca --cert --key", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("usage: install-edge.sh --core-db CONNSTRING --address IP", r.Stderr, StringComparison.Ordinal);

        string[] Args(string address, string dir) =>
            ["--core-db", Db, "--address", address, "--ca", $"{tls}/ca.pem", "--cert", $"{dir}/edge-b.pem", "--key", $"{dir}/edge-b.key", "--release", release, "--root", root];
        r = await Tool(script, Args("10.0.0.300", tls));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--address '10.0.0.300' is not an IP address", r.Stderr, StringComparison.Ordinal);

        // A certificate of another CA (with its own key: the key check passes, the chain does not).
        var other = Path.Combine(_dir, "other");
        Assert.Equal(0, (await Tool(MakeDevCerts, other, "edge-b")).ExitCode);
        r = await Tool(script, Args("10.0.0.22", other));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("does not verify against --ca", r.Stderr, StringComparison.Ordinal);

        Assert.Empty(Directory.GetFileSystemEntries(root));
    }

    [Fact]
    public async Task Install_core_writes_the_core_configuration_and_no_collector()
    {
        var (release, tls) = await FakeRelease();
        var root = Directory.CreateDirectory(Path.Combine(_dir, "root")).FullName;
        var r = await Tool(Path.Combine(Deploy, "install-core.sh"), "--db", Db, "--address", "10.0.0.1",
            "--ca", $"{tls}/ca.pem", "--cert", $"{tls}/core.pem", "--key", $"{tls}/core.key", "--release", release, "--root", root, "--no-start");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.False(File.Exists(Path.Combine(root, "opt/scope/bin/scope-collector")));
        Assert.Equal(Mode640, File.GetUnixFileMode(Path.Combine(root, "etc/scope/tls/core.key")));
        Assert.Equal(Mode640, File.GetUnixFileMode(Path.Combine(root, "etc/scope/core.json")));
        using var config = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(root, "etc/scope/core.json")));
        var scope = config.RootElement.GetProperty("Scope");
        Assert.Equal("core", scope.GetProperty("Role").GetString());
        Assert.Equal("10.0.0.1", scope.GetProperty("Orleans").GetProperty("AdvertisedAddress").GetString());
        Assert.Equal("/etc/scope/tls/core.pem", scope.GetProperty("Tls").GetProperty("CertFile").GetString());
        Assert.Equal("/var/lib/scope/traces", scope.GetProperty("Traces").GetProperty("Directory").GetString());
        Assert.False(scope.TryGetProperty("Collector", out _));
    }

    // ---- Helpers ------------------------------------------------------------------------------

    private sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string All => $"exit {ExitCode}\n--- stdout\n{Stdout}--- stderr\n{Stderr}";
    }

    /// <summary>Runs a program to its end; one that is not installed fails the test, naming it.</summary>
    private static async Task<Result> Tool(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (Win32Exception e)
        {
            Assert.Fail($"{file} could not be started ({e.Message}): these tests need systemd-analyze (systemd 252), openssl and python3");
            throw;
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} {string.Join(' ', args)} ran past 120 s");
            }
            return new Result(p.ExitCode, await stdout, await stderr);
        }
    }

    private static Task<Result> Verify(string root, string unitFile) =>
        Tool("systemd-analyze", "verify", "--man=no", $"--root={root}", unitFile);

    /// <summary>A root for systemd-analyze verify: systemd's own units and a stand-in executable scope-silo.</summary>
    private async Task<string> VerifyRoot()
    {
        var root = Path.Combine(_dir, "verify-root");
        Directory.CreateDirectory(Path.Combine(root, "etc", "systemd", "system"));
        await CopySystemUnits(root);
        var silo = Path.Combine(root, "opt", "scope", "silo", "scope-silo");
        Directory.CreateDirectory(Path.GetDirectoryName(silo)!);
        await File.WriteAllTextAsync(silo, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(silo, Mode755);
        return root;
    }

    private static async Task CopySystemUnits(string root)
    {
        const string Units = "/usr/lib/systemd/system";
        Assert.True(Directory.Exists(Units), $"{Units} is missing: install systemd");
        var dest = Path.Combine(root, "usr", "lib", "systemd");
        Directory.CreateDirectory(dest);
        var r = await Tool("cp", "-a", Units, dest);
        Assert.True(r.ExitCode == 0, r.All);
    }

    /// <summary>A release directory (silo/ and bin/ with stand-ins) and certificates for core and edge-b.</summary>
    private async Task<(string Release, string Tls)> FakeRelease()
    {
        var release = Path.Combine(_dir, "release");
        Directory.CreateDirectory(Path.Combine(release, "silo", "wwwroot"));
        Directory.CreateDirectory(Path.Combine(release, "bin"));
        var silo = Path.Combine(release, "silo", "scope-silo");
        await File.WriteAllTextAsync(silo, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(silo, Mode755);
        await File.WriteAllTextAsync(Path.Combine(release, "silo", "scope-silo.dll"), "stand-in silo\n");
        await File.WriteAllTextAsync(Path.Combine(release, "silo", "wwwroot", "index.txt"), "x\n");
        var collector = Path.Combine(release, "bin", "scope-collector");
        await File.WriteAllTextAsync(collector, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(collector, Mode755);

        var tls = Path.Combine(_dir, "tls");
        var r = await Tool(MakeDevCerts, tls, "core=10.0.0.1", "edge-b=10.0.0.22");
        Assert.True(r.ExitCode == 0, r.All);
        return (release, tls);
    }

    /// <summary>Every file and directory below root: its path, mode, and for files a SHA-256 of the content.</summary>
    private static List<string> Snapshot(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(p =>
            {
                var mode = Convert.ToString((int)File.GetUnixFileMode(p), 8);
                var hash = File.Exists(p) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p))) : "dir";
                return $"{Path.GetRelativePath(root, p)} {mode} {hash}";
            })];

    private static bool ChainBuilds(X509Certificate2 leaf, X509Certificate2 ca, out string why)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1")); // serverAuth
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2")); // clientAuth
        var built = chain.Build(leaf);
        why = string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation.Trim()}"));
        return built;
    }

    /// <summary>The Key=Value lines of a shipped unit, in order (comments and sections left out).</summary>
    private static List<KeyValuePair<string, string>> UnitSettings(string unit) =>
        [.. File.ReadAllLines(Path.Combine(Deploy, "systemd", unit))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && l[0] is not ('#' or ';' or '[') && l.Contains('=', StringComparison.Ordinal))
            .Select(l => KeyValuePair.Create(l[..l.IndexOf('=', StringComparison.Ordinal)], l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]))];

    /// <summary>The last value of each key (enough for the single-valued settings checked here).</summary>
    private static Dictionary<string, string> Effective(List<KeyValuePair<string, string>> settings)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in settings)
            d[k] = v;
        return d;
    }

    private static string[] Words(string value) => value.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Scope.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Scope.sln not found above " + AppContext.BaseDirectory);
    }
}
