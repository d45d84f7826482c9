using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;
using Scope.Silo.E2E.Tests;

namespace Scope.Nginx.Tests;

/// <summary>
/// What the suite runs against, as docs/deployment.md installs it on one host: a private PostgreSQL
/// (scripts/pg.sh), two core silos A and B joined in one cluster on it (ADO.NET membership), each
/// believing X-Forwarded-* from 127.0.0.1 only (where nginx connects from), and Debian's nginx with
/// the shipped configuration and a certificate from the shipped script in front of both. Each silo
/// has its own HOME, so the only Data Protection keys they can share are the database's.
/// </summary>
public sealed class NginxFront : IAsyncLifetime
{
    /// <summary>Failed logins per user and per address per minute on both silos: a few, so that tests see 429 soon.</summary>
    public const int LoginFailuresPerMinute = 3;

    private readonly StringBuilder _nginxLog = new();
    private Process? _nginx;

    public string Repo { get; } = FindRepo();
    public string StateDir { get; } = Directory.CreateTempSubdirectory("scope-nginx-").FullName;
    public int PgPort { get; } = FreePort();
    public string AdminPassword { get; } = "admin-" + Guid.NewGuid().ToString("N");
    public string ClusterId { get; } = "nginx-" + Guid.NewGuid().ToString("N")[..8];
    public NginxSite Site { get; private set; } = null!;
    public SiloInstance A { get; private set; } = null!;
    public SiloInstance B { get; private set; } = null!;
    public IReadOnlyList<SiloInstance> Silos => [A, B];

    /// <summary>https://127.0.0.1:PORT, nginx's TLS side.</summary>
    public Uri Https => new($"https://127.0.0.1:{Site.HttpsPort.ToString(CultureInfo.InvariantCulture)}");

    public Uri Http => new($"http://127.0.0.1:{Site.HttpPort.ToString(CultureInfo.InvariantCulture)}");

    public string ConnectionString => $"Host=127.0.0.1;Port={PgPort.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=scope";

    /// <summary>What setting up took, step by step, for the first test to print.</summary>
    public List<(string Step, TimeSpan Took)> SetupTimes { get; } = [];

    public bool SetupPrinted { get; set; }

    public string NginxLog
    {
        get
        {
            lock (_nginxLog)
                return _nginxLog.ToString();
        }
    }

    public async Task InitializeAsync()
    {
        var status = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        if (status.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2] != "0")
            throw new InvalidOperationException("the nginx suite starts PostgreSQL as its own user and nginx's master as root: it needs root");
        if (!File.Exists(NginxSite.Nginx))
            throw new InvalidOperationException($"{NginxSite.Nginx} is missing: make deps installs Debian's nginx");
        // PostgreSQL's user and nginx's workers (nobody) go through it.
        File.SetUnixFileMode(StateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var sw = Stopwatch.StartNew();

        A = NewSilo("a");
        B = NewSilo("b");
        Site = new NginxSite(Repo, Path.Combine(StateDir, "nginx"), FreePort(), FreePort(), [A.ApiPort, B.ApiPort]);
        await Site.MakeCertificatesAsync();
        Mark("certificates (deploy/nginx/make-dev-cert.sh)", sw);

        await PgAsync("start");
        Mark("PostgreSQL", sw);

        A.Start();
        B.Start();
        await A.WaitHealthyAsync();
        await B.WaitHealthyAsync();
        Mark("silos A and B healthy (one cluster, one database)", sw);

        Site.Write();
        var (code, output) = await Site.TestAsync();
        if (code != 0)
            throw new InvalidOperationException($"nginx -t refused the rendered configuration:\n{output}");
        StartNginx();
        await WaitNginxAsync();
        Mark("nginx in front of both (https /health answers)", sw);
    }

    private SiloInstance NewSilo(string name)
    {
        var dir = Path.Combine(StateDir, "silo-" + name);
        var home = Directory.CreateDirectory(Path.Combine(dir, "home")).FullName;
        int api = FreePort();
        var settings = new Dictionary<string, string>
        {
            ["SCOPE__Orleans__Clustering"] = "AdoNet",
            ["SCOPE__Orleans__ClusterId"] = ClusterId,
            ["SCOPE__Orleans__AdvertisedAddress"] = "127.0.0.1",
            ["SCOPE__Orleans__SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["SCOPE__Orleans__GatewayPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["SCOPE__Storage__ConnectionString"] = ConnectionString,
            ["SCOPE__Api__Urls"] = $"http://127.0.0.1:{api.ToString(CultureInfo.InvariantCulture)}",
            ["SCOPE__Proxy__KnownProxies"] = "127.0.0.1",
            ["SCOPE__Auth__LoginFailuresPerMinute"] = LoginFailuresPerMinute.ToString(CultureInfo.InvariantCulture),
            ["SCOPE__Traces__Directory"] = Path.Combine(dir, "traces"),
            ["SCOPE__Tasks__StateDirectory"] = Path.Combine(dir, "state"),
            ["SCOPE_ADMIN_PASSWORD"] = AdminPassword,
            // Without a repository, Data Protection keeps its keys under $HOME/.aspnet: a HOME of
            // each silo's own leaves the database as the only place they could share keys.
            ["HOME"] = home,
            ["DOTNET_gcServer"] = "0",
        };
        return new SiloInstance(name.ToUpperInvariant(), Repo, api, settings);
    }

    private void StartNginx()
    {
        _nginx = Process.Start(Site.StartInfo())!;
        _nginx.OutputDataReceived += (_, e) => AppendNginx(e.Data);
        _nginx.ErrorDataReceived += (_, e) => AppendNginx(e.Data);
        _nginx.BeginOutputReadLine();
        _nginx.BeginErrorReadLine();
    }

    private async Task WaitNginxAsync()
    {
        using var http = Clients.Create(Https, caFile: Site.CaFile);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_nginx!.HasExited)
                throw new InvalidOperationException($"nginx exited ({_nginx.ExitCode.ToString(CultureInfo.InvariantCulture)}):\n{NginxLog}");
            try
            {
                using var r = await http.GetAsync(new Uri("/health", UriKind.Relative));
                if (r.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"nginx never answered /health over https:\n{NginxLog}");
            await Task.Delay(200);
        }
    }

    /// <summary>A silo a test killed is started again (tests may run in any order).</summary>
    public async Task BothUpAsync()
    {
        foreach (var s in Silos.Where(s => !s.Running))
            s.Start();
        foreach (var s in Silos)
            await s.WaitHealthyAsync();
    }

    /// <summary>The admin's API client through nginx: https, the development CA, from <paramref name="from"/>.</summary>
    public HttpClient AdminApi(string from = "127.0.0.1") =>
        new(new AdminToken(Https, AdminPassword) { InnerHandler = Clients.Handler(from, Site.CaFile) })
        {
            BaseAddress = Https,
            Timeout = TimeSpan.FromSeconds(60),
        };

    public string AccessLog => File.Exists(Site.AccessLog) ? File.ReadAllText(Site.AccessLog) : "";

    public async Task<long> ScalarAsync(string sql)
    {
        await using var ds = NpgsqlDataSource.Create(ConnectionString);
        await using var cmd = ds.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync()
    {
        if (_nginx is { HasExited: false } n)
        {
            // SIGTERM: nginx's fast shutdown, which does not wait for open WebSockets as SIGQUIT would.
            _ = Native.Kill(n.Id, 15);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await n.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                n.Kill(entireProcessTree: true);
            }
        }
        _nginx?.Dispose();
        foreach (var s in new[] { A, B })
        {
            if (s is not null)
                await s.DisposeAsync();
        }
        try
        {
            await PgAsync("stop");
        }
        catch (InvalidOperationException)
        {
        }
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

    private void AppendNginx(string? line)
    {
        if (line is null)
            return;
        lock (_nginxLog)
            _nginxLog.AppendLine(line);
    }

    private async Task PgAsync(string command)
    {
        var psi = new ProcessStartInfo(Path.Combine(Repo, "scripts", "pg.sh")) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(command);
        psi.Environment["SCOPE_STATE_DIR"] = StateDir;
        psi.Environment["SCOPE_PG_PORT"] = PgPort.ToString(CultureInfo.InvariantCulture);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        await stdout;
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"scripts/pg.sh {command} failed ({p.ExitCode.ToString(CultureInfo.InvariantCulture)}): {err}");
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Scope.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("no Scope.sln above " + AppContext.BaseDirectory);
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

[CollectionDefinition("nginx front")]
public sealed class NginxFrontTests : ICollectionFixture<NginxFront>;
