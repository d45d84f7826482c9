using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// One all-in-one SCOPE node, as `make run` starts it, in a fresh state directory with free ports:
/// a private PostgreSQL (scripts/pg.sh), the silo, and the local collector it supervises.
/// </summary>
public class ScopeNode : IAsyncLifetime
{
    private Process? _silo;
    /// <summary>Signs <see cref="Http"/> in (its handler, owned and disposed by the client).</summary>
    private Func<CancellationToken, Task> _signIn = _ => Task.CompletedTask;
    private int _siloPort, _gatewayPort;
    private readonly StringBuilder _log = new();

    public string Repo { get; } = FindRepo();

    /// <summary>The silo's Orleans gateway (for grain-call clients such as the scope CLI).</summary>
    public int GatewayPort => _gatewayPort;
    public string StateDir { get; } = Directory.CreateTempSubdirectory("scope-e2e-").FullName;
    public int PgPort { get; } = FreePort();
    public int ApiPort { get; } = FreePort();
    public int IngestPort { get; } = FreePort();
    public string MachineId { get; } = "e2e-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The seeded admin's password (SCOPE_ADMIN_PASSWORD); <see cref="Http"/> signs in with it.</summary>
    public string AdminPassword { get; } = "admin-" + Guid.NewGuid().ToString("N");
    public Uri Api => new($"http://127.0.0.1:{ApiPort}");
    public string IngestEndpoint => $"tcp://127.0.0.1:{IngestPort}";
    public string ConnectionString => $"Host=127.0.0.1;Port={PgPort};Username=postgres;Database=scope";
    public HttpClient Http { get; private set; } = null!;
    public string Log { get { lock (_log) return _log.ToString(); } }

    public static string FindRepo()
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

    private async Task<int> Sh(string script, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(Repo, script)) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["SCOPE_STATE_DIR"] = StateDir;
        psi.Environment["SCOPE_PG_PORT"] = PgPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{script} {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
        return p.ExitCode;
    }

    /// <summary>Settings beyond the defaults, as SCOPE__… environment variables.</summary>
    protected virtual IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>();

    public int? SiloPid => _silo is { HasExited: false } s ? s.Id : null;

    public async Task InitializeAsync()
    {
        var status = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        if (status.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2] != "0")
            throw new InvalidOperationException("the node end-to-end tests load eBPF programs and need root");
        // A temp dir's parents must be traversable by the postgres user.
        File.SetUnixFileMode(StateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        await Sh("scripts/pg.sh", "start");
        _siloPort = FreePort();
        _gatewayPort = FreePort();
        var admin = new AdminToken(Api, AdminPassword);
        _signIn = admin.WarmAsync;
        Http = new HttpClient(admin) { BaseAddress = Api, Timeout = TimeSpan.FromSeconds(10) };
        await StartSiloAsync();
    }

    public Task StopPostgresAsync() => Sh("scripts/pg.sh", "stop");

    public Task StartPostgresAsync() => Sh("scripts/pg.sh", "start");

    /// <summary>kill -9, as a crash would; the collector it supervised stops with it (--die-with-parent).</summary>
    public async Task KillSiloAsync()
    {
        if (_silo is { HasExited: false } s)
        {
            s.Kill(entireProcessTree: false);
            await s.WaitForExitAsync();
        }
    }

    public async Task StartSiloAsync()
    {
        var dll = Path.Combine(Repo, "silo", "Scope.Silo", "bin", "Release", "net10.0", "scope-silo.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} is missing: run `make build`");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo };
        foreach (var a in new[] { dll, "--role", "all", "--config", Path.Combine(Repo, "deploy", "scope.json") })
            psi.ArgumentList.Add(a);
        var env = new Dictionary<string, string>
        {
            ["SCOPE__MachineId"] = MachineId,
            ["SCOPE__Api__Urls"] = Api.ToString().TrimEnd('/'),
            ["SCOPE__Ingest__Endpoint"] = IngestEndpoint,
            ["SCOPE__Storage__ConnectionString"] = ConnectionString,
            ["SCOPE__Orleans__SiloPort"] = _siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SCOPE__Orleans__GatewayPort"] = _gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SCOPE__Collector__CountsIntervalSeconds"] = "1",
            ["SCOPE__Tasks__StateDirectory"] = Path.Combine(StateDir, "state"),
            ["SCOPE_ADMIN_PASSWORD"] = AdminPassword,
        };
        foreach (var (k, v) in ExtraSettings)
            env[k] = v;
        foreach (var (k, v) in env)
            psi.Environment[k] = v;
        _silo?.Dispose();
        _silo = Process.Start(psi)!;
        _silo.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _silo.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _silo.BeginOutputReadLine();
        _silo.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (_silo.HasExited)
                throw new InvalidOperationException($"the silo exited ({_silo.ExitCode}) during start-up:\n{Log}");
            try
            {
                if ((await Http.GetAsync(new Uri("/health", UriKind.Relative))).IsSuccessStatusCode)
                    break;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"/health never said ok:\n{Log}");
            await Task.Delay(250);
        }
        await _signIn(CancellationToken.None);
    }

    public bool SiloRunning => _silo is { HasExited: false };

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_silo is { HasExited: false })
        {
            // As systemd or Ctrl-C would: SIGTERM, and the silo stops its collector.
            _ = Native.Kill(_silo.Id, 15);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _silo.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _silo.Kill(entireProcessTree: true);
            }
        }
        // Nothing this node started may outlive it.
        foreach (var p in Process.GetProcessesByName("scope-collector"))
        {
            try
            {
                if (File.ReadAllText($"/proc/{p.Id}/cmdline").Contains(IngestEndpoint, StringComparison.Ordinal))
                    p.Kill();
            }
            catch (IOException)
            {
            }
            p.Dispose();
        }
        _silo?.Dispose();
        try
        {
            await Sh("scripts/pg.sh", "stop");
        }
        finally
        {
            Directory.Delete(StateDir, recursive: true);
        }
    }
}

[CollectionDefinition("node")]
public sealed class NodeTests : ICollectionFixture<ScopeNode>;
