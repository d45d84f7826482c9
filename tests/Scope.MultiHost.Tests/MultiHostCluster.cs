using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;

namespace Scope.MultiHost.Tests;

/// <summary>
/// The cluster under test: network namespaces for a core and hosts A and B (their own addresses and
/// machine ids), certificates from deploy/certs/make-dev-certs.sh, a private PostgreSQL listening on
/// the bridge, and one silo per host joined through ADO.NET clustering with mutual TLS.
/// </summary>
public sealed class MultiHostCluster : IAsyncLifetime
{
    public const int ApiPort = 8080, EdgeApiPort = 8081, GatewayPort = 30000;

    public string Repo { get; } = FindRepo();
    public string StateDir { get; } = Directory.CreateTempSubdirectory("scope-multihost-").FullName;
    public int PgPort { get; } = FreePort();
    public HostNetwork Network { get; private set; } = null!;
    public HostNetwork.Host Core { get; private set; } = null!;
    public HostNetwork.Host A { get; private set; } = null!;
    public HostNetwork.Host B { get; private set; } = null!;
    public string ClusterId { get; private set; } = "";
    public string AdminPassword { get; } = "admin-" + Guid.NewGuid().ToString("N");
    public string MachineA { get; } = "hosta" + Guid.NewGuid().ToString("N")[..8];
    public string MachineB { get; } = "hostb" + Guid.NewGuid().ToString("N")[..8];
    public SiloProcess CoreSilo { get; private set; } = null!;
    public SiloProcess SiloA { get; private set; } = null!;
    public SiloProcess SiloB { get; set; } = null!;
    public HttpClient Api { get; private set; } = null!;
    public string Tls => Path.Combine(StateDir, "tls");
    public string RogueTls => Path.Combine(StateDir, "rogue-tls");

    /// <summary>What setting up took, step by step, for the test to print.</summary>
    public List<(string Step, TimeSpan Took)> SetupTimes { get; } = [];

    public string ConnectionString => $"Host={Network.Gateway};Port={PgPort.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=scope";

    public async Task InitializeAsync()
    {
        var sw = Stopwatch.StartNew();
        Network = new HostNetwork();
        Core = Network.AddHost("core", 10);
        A = Network.AddHost("a", 11);
        B = Network.AddHost("b", 12);
        ClusterId = "multihost-" + Network.Id;
        Mark("network namespaces (core, a, b) and bridge", sw);

        await Sh("deploy/certs/make-dev-certs.sh", [], Tls, $"core={Core.Address}", $"a={A.Address}", $"b={B.Address}", "client");
        await Sh("deploy/certs/make-dev-certs.sh", [], RogueTls, "rogue", "rogue-client");
        Mark("certificates (cluster CA and a second CA)", sw);

        await Sh("scripts/pg.sh", [("SCOPE_PG_LISTEN", Network.Gateway), ("SCOPE_PG_ALLOW", Network.Cidr)], "start");
        Mark("PostgreSQL on the bridge", sw);

        CoreSilo = StartSilo(Core, "core", "core", Tls);
        SiloA = StartSilo(A, "edge", "a", Tls);
        SiloB = StartSilo(B, "edge", "b", Tls);
        var api = new Uri($"http://{Core.Address}:{ApiPort.ToString(CultureInfo.InvariantCulture)}");
        Api = new HttpClient(new Scope.Silo.E2E.Tests.AdminToken(api, AdminPassword)) { BaseAddress = api, Timeout = TimeSpan.FromSeconds(30) };
        await WaitHealthy(CoreSilo, ApiPort);
        await WaitHealthy(SiloA, EdgeApiPort);
        await WaitHealthy(SiloB, EdgeApiPort);
        Mark("three silos healthy", sw);
        await WaitForMachines(MachineA, MachineB);
        Mark("both machines registered with the core", sw);
    }

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        foreach (var s in new[] { SiloB, SiloA, CoreSilo })
            s?.Dispose();
        try
        {
            await Sh("scripts/pg.sh", [], "stop");
        }
        catch (InvalidOperationException)
        {
        }
        Network?.Dispose();
        try
        {
            Directory.Delete(StateDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Mark(string step, Stopwatch sw)
    {
        SetupTimes.Add((step, sw.Elapsed));
        sw.Restart();
    }

    /// <summary>The settings of a silo on <paramref name="host"/>, as SCOPE__… variables.</summary>
    public Dictionary<string, string> Settings(HostNetwork.Host host, string role, string certName, string tlsDir, string? machineId)
    {
        var s = new Dictionary<string, string>
        {
            ["SCOPE__Orleans__Clustering"] = "AdoNet",
            ["SCOPE__Orleans__ClusterId"] = ClusterId,
            ["SCOPE__Orleans__AdvertisedAddress"] = host.Address,
            ["SCOPE__Orleans__SiloPort"] = "11111",
            ["SCOPE__Orleans__GatewayPort"] = role == "core" ? GatewayPort.ToString(CultureInfo.InvariantCulture) : "0",
            ["SCOPE__Storage__ConnectionString"] = ConnectionString,
            ["SCOPE__Tls__CaFile"] = Path.Combine(tlsDir, "ca.pem"),
            ["SCOPE__Tls__CertFile"] = Path.Combine(tlsDir, certName + ".pem"),
            ["SCOPE__Tls__KeyFile"] = Path.Combine(tlsDir, certName + ".key"),
            ["SCOPE__Tasks__HeartbeatSeconds"] = "2",
            ["SCOPE__Tasks__StateDirectory"] = Path.Combine(StateDir, host.Name, "state"),
            ["SCOPE__Traces__Directory"] = Path.Combine(StateDir, host.Name, "traces"),
            ["SCOPE__Collector__Enabled"] = "false",
            ["SCOPE__Collector__CountsIntervalSeconds"] = "1",
            ["SCOPE__Api__Urls"] = $"http://{host.Address}:{(role == "core" ? ApiPort : EdgeApiPort).ToString(CultureInfo.InvariantCulture)}",
        };
        if (machineId is not null)
            s["SCOPE__MachineId"] = machineId;
        if (role == "core")
            s["SCOPE_ADMIN_PASSWORD"] = AdminPassword;
        return s;
    }

    public SiloProcess StartSilo(HostNetwork.Host host, string role, string certName, string tlsDir, string? machineId = null) =>
        new(Repo, host, role, Settings(host, role, certName, tlsDir, machineId ?? (role == "core" ? null : host.Name switch
        {
            "a" => MachineA,
            "b" => MachineB,
            _ => host.Name + Network.Id,
        })));

    public static async Task WaitHealthy(SiloProcess silo, int port, int seconds = 120)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var url = $"http://{silo.Host.Address}:{port.ToString(CultureInfo.InvariantCulture)}/health";
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            if (silo.HasExited)
                throw new InvalidOperationException($"{silo} exited with {silo.ExitCode.ToString(CultureInfo.InvariantCulture)}:\n{Tail(silo.Log)}");
            try
            {
                using var r = await http.GetAsync(new Uri(url));
                last = $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}";
                if (r.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException e)
            {
                last = e.Message;
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"{silo} not healthy at {url} after {seconds.ToString(CultureInfo.InvariantCulture)} s ({last}):\n{Tail(silo.Log)}");
    }

    public async Task<JsonElement[]> Machines() => (await Api.GetFromJsonAsync<JsonElement>("/api/v1/machines")).EnumerateArray().ToArray();

    public async Task WaitForMachines(params string[] ids)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                var machines = await Machines();
                if (ids.All(id => machines.Any(m => m.GetProperty("id").GetString() == id && m.TryGetProperty("agent", out var a) && a.ValueKind == JsonValueKind.Object)))
                    return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"machines {string.Join(", ", ids)} not registered:\n{Tail(CoreSilo.Log)}");
            await Task.Delay(500);
        }
    }

    public async Task<T> Query<T>(string sql, params (string Name, object Value)[] args)
    {
        await using var ds = NpgsqlDataSource.Create(ConnectionString);
        await using var cmd = ds.CreateCommand(sql);
        foreach (var (n, v) in args)
            cmd.Parameters.AddWithValue(n, v);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public static string Tail(string log, int lines = 60)
    {
        var all = log.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    private async Task Sh(string script, (string, string)[] env, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(Repo, script)) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["SCOPE_STATE_DIR"] = StateDir;
        psi.Environment["SCOPE_PG_PORT"] = PgPort.ToString(CultureInfo.InvariantCulture);
        foreach (var (k, v) in env)
            psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        await stdout;
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{script} {string.Join(' ', args)} failed ({p.ExitCode.ToString(CultureInfo.InvariantCulture)}): {err}");
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Scope.sln")))
                return dir.FullName;
        throw new InvalidOperationException("no Scope.sln above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
