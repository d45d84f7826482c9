using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

// The benchmarks read /proc and run Linux binaries.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Scope.Bench;

/// <summary>libc calls the benchmarks need: CPU time of reaped children, and signals.</summary>
internal static partial class Native
{
    private const int RusageChildren = -1;

    // struct rusage on x86_64: two timevals, then 14 longs (144 bytes); only the times are read.
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private struct Rusage
    {
        public long UtimeSec;
        public long UtimeUsec;
        public long StimeSec;
        public long StimeUsec;
    }

    [LibraryImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static partial int GetRusage(int who, out Rusage usage);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int sig);

    /// <summary>User + system CPU seconds of every child this process has reaped so far.</summary>
    public static double ReapedChildrenCpuSeconds()
    {
        if (GetRusage(RusageChildren, out var u) != 0)
            throw new InvalidOperationException("getrusage failed: " + Marshal.GetLastPInvokeError());
        return u.UtimeSec + (u.UtimeUsec / 1e6) + u.StimeSec + (u.StimeUsec / 1e6);
    }
}

/// <summary>CPU accounting from /proc.</summary>
internal static class Cpu
{
    // USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
    private const double TicksPerSecond = 100.0;

    /// <summary>utime + stime of a live process, in seconds; NaN when it is gone.</summary>
    public static double ProcessSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After "pid (comm) ": field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12.
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    /// <summary>Busy CPU seconds of the whole machine (all cores) so far, from /proc/stat.</summary>
    public static double MachineBusySeconds()
    {
        var line = File.ReadLines("/proc/stat").First();
        var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest time is already in user). Steal is
        // the hypervisor running something else: not busy here, and reported apart.
        long busy = v[0] + v[1] + v[2] + v[5] + v[6];
        return busy / TicksPerSecond;
    }

    /// <summary>CPU seconds the hypervisor took from this machine's vCPUs so far (steal).</summary>
    public static double MachineStealSeconds()
    {
        var v = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();
        return v.Length > 7 ? long.Parse(v[7], CultureInfo.InvariantCulture) / TicksPerSecond : 0;
    }

    /// <summary>Every process's comm and CPU seconds so far.</summary>
    public static Dictionary<int, (string Comm, double Seconds)> Snapshot()
    {
        var result = new Dictionary<int, (string, double)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                var stat = File.ReadAllText(System.IO.Path.Combine(dir, "stat"));
                int open = stat.IndexOf('(', StringComparison.Ordinal), close = stat.LastIndexOf(')');
                var fields = stat[(close + 2)..].Split(' ');
                result[pid] = (stat[(open + 1)..close], (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond);
            }
            catch (IOException)
            {
            }
        }
        return result;
    }

    /// <summary>The processes, not <paramref name="ours"/>, that used the most CPU between two snapshots, as "comm 0.12".</summary>
    public static string TopOthers(Dictionary<int, (string Comm, double Seconds)> before, Dictionary<int, (string Comm, double Seconds)> after,
        ISet<int> ours, double wall)
    {
        var top = after.Where(kv => !ours.Contains(kv.Key))
            .Select(kv => (kv.Value.Comm, Cores: (kv.Value.Seconds - (before.TryGetValue(kv.Key, out var b) && b.Comm == kv.Value.Comm ? b.Seconds : 0)) / wall))
            .GroupBy(x => x.Comm).Select(g => (Comm: g.Key, Cores: g.Sum(x => x.Cores)))
            .Where(x => x.Cores >= 0.05).OrderByDescending(x => x.Cores).Take(2).ToList();
        return string.Join(", ", top.Select(x => $"{x.Comm} {x.Cores.ToString("0.00", CultureInfo.InvariantCulture)}"));
    }
}

/// <summary>What machine this is, for the reports.</summary>
internal static class Machine
{
    public static string Kernel => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    public static string CpuModel =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    public static int Cores => Environment.ProcessorCount;

    public static string Describe() =>
        $"{DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC on Linux {Kernel}, {CpuModel}, {Cores} CPUs";

    public static double LoadAverage1 => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
}

/// <summary>
/// Other benchmarks on this machine would distort every number here: wait until none runs and the
/// machine is quiet, and say what was found.
/// </summary>
internal static class Quiet
{
    public const string OtherBenchPattern = "bench/(serialization|transport)|syscall_overhead|getppid_loop|transport_";

    public static IReadOnlyList<string> OtherBenchmarks()
    {
        var psi = new ProcessStartInfo("pgrep") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in new[] { "-af", OtherBenchPattern })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        return lines;
    }

    /// <summary>
    /// Waits (up to <paramref name="max"/>) until no other benchmark runs and the machine's CPU, less
    /// what <paramref name="ours"/> use, stays under 15% of one core over a second. Returns a line for
    /// the report.
    /// </summary>
    public static async Task<string> WaitAsync(TimeSpan max, Func<IEnumerable<int>> ours)
    {
        // SCOPE_BENCH_IDLE_WAIT_MIN overrides how long to wait (0: measure whatever the state).
        if (int.TryParse(Environment.GetEnvironmentVariable("SCOPE_BENCH_IDLE_WAIT_MIN"), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes))
            max = TimeSpan.FromMinutes(minutes);
        var deadline = DateTime.UtcNow + max;
        var waited = TimeSpan.Zero;
        var started = DateTime.UtcNow;
        string last = "";
        while (true)
        {
            var others = OtherBenchmarks();
            double other = await OtherCpuAsync(TimeSpan.FromSeconds(1), ours);
            if (others.Count == 0 && other < 0.15)
            {
                waited = DateTime.UtcNow - started;
                return waited > TimeSpan.FromSeconds(3)
                    ? $"waited {waited.TotalSeconds:F0} s for the machine to be idle ({last}); then idle: no other benchmark, other CPU {other * 100:F0}% of a core"
                    : $"idle: no other benchmark running, other CPU {other * 100:F0}% of a core";
            }
            last = others.Count > 0 ? $"other benchmark: {others[0]}" : $"other CPU {other * 100:F0}% of a core";
            if (DateTime.UtcNow > deadline)
                return $"NOT idle after waiting {max.TotalMinutes:F0} min ({last}); measured anyway";
            Console.Error.WriteLine($"scope-bench: waiting for an idle machine ({last})");
            await Task.Delay(TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>
    /// This benchmark's processes: itself and its descendants (silo, collector, generator, probes),
    /// and whatever names <paramref name="marker"/> (its temp dir) on its command line, with their
    /// descendants (the PostgreSQL postmaster, which pg_ctl detaches, and its backends).
    /// </summary>
    public static IEnumerable<int> OurProcessTree(string marker)
    {
        var children = new Dictionary<int, List<int>>();
        var roots = new List<int> { Environment.ProcessId };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), out var pid))
                continue;
            try
            {
                var stat = File.ReadAllText(System.IO.Path.Combine(dir, "stat"));
                int ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(ppid, out var list))
                    children[ppid] = list = [];
                list.Add(pid);
                if (File.ReadAllText(System.IO.Path.Combine(dir, "cmdline")).Contains(marker, StringComparison.Ordinal))
                    roots.Add(pid);
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }
        var seen = new HashSet<int>();
        var todo = new Stack<int>(roots);
        while (todo.TryPop(out var pid))
        {
            if (!seen.Add(pid))
                continue;
            foreach (var c in children.GetValueOrDefault(pid) ?? [])
                todo.Push(c);
        }
        return seen;
    }

    /// <summary>Cores' worth of CPU used over <paramref name="span"/> by everything but <paramref name="ours"/>.</summary>
    public static async Task<double> OtherCpuAsync(TimeSpan span, Func<IEnumerable<int>> ours)
    {
        var pids = ours().ToArray();
        double m0 = Cpu.MachineBusySeconds(), o0 = pids.Sum(p => Nz(Cpu.ProcessSeconds(p)));
        var sw = Stopwatch.StartNew();
        await Task.Delay(span);
        double m1 = Cpu.MachineBusySeconds(), o1 = pids.Sum(p => Nz(Cpu.ProcessSeconds(p)));
        return Math.Max(0, (m1 - m0 - (o1 - o0)) / sw.Elapsed.TotalSeconds);
    }

    private static double Nz(double v) => double.IsNaN(v) ? 0 : v;
}

internal static class Net
{
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

internal static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Scope.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("no Scope.sln above " + AppContext.BaseDirectory);
    }

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Loadgen => Path("collector-native", "build", "scope-loadgen");

    public static string WriteN => Path("collector-native", "build", "tests", "write_n");

    public static string SiloDll => Path("silo", "Scope.Silo", "bin", "Release", "net10.0", "scope-silo.dll");
}

/// <summary>A private PostgreSQL (scripts/pg.sh) in a state directory of the benchmark's own.</summary>
internal sealed class PgServer
{
    public PgServer(string stateDir)
    {
        StateDir = stateDir;
        Port = Net.FreePort();
    }

    public string StateDir { get; }
    public int Port { get; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=scope;Pooling=true";

    public Task StartAsync() => PgShAsync("start");

    public Task StopAsync() => PgShAsync("stop");

    private async Task PgShAsync(string command)
    {
        var psi = new ProcessStartInfo(Repo.Path("scripts", "pg.sh")) { UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add(command);
        psi.Environment["SCOPE_STATE_DIR"] = StateDir;
        psi.Environment["SCOPE_PG_PORT"] = Port.ToString(CultureInfo.InvariantCulture);
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"scripts/pg.sh {command} failed ({p.ExitCode}): {err}");
    }
}

/// <summary>One silo, started as the end-to-end tests start it: env overrides on deploy/scope.json.</summary>
internal sealed class SiloNode : IAsyncDisposable
{
    private readonly Process _silo;
    private readonly Queue<string> _log = new();

    /// <summary>The seeded admin's password: the API needs a token (docs/auth.md).</summary>
    public const string AdminPassword = "bench-admin-password";

    private SiloNode(Process silo, Uri api, string ingest, string machineId)
    {
        _silo = silo;
        Api = api;
        IngestEndpoint = ingest;
        MachineId = machineId;
        Http = new HttpClient(new Scope.Silo.E2E.Tests.AdminToken(api, AdminPassword)) { BaseAddress = api, Timeout = TimeSpan.FromSeconds(10) };
        _silo.OutputDataReceived += (_, e) => Keep(e.Data);
        _silo.ErrorDataReceived += (_, e) => Keep(e.Data);
        _silo.BeginOutputReadLine();
        _silo.BeginErrorReadLine();
    }

    public Uri Api { get; }
    public string IngestEndpoint { get; }
    public string MachineId { get; }
    public HttpClient Http { get; }
    public int Pid => _silo.Id;
    public bool Running => !_silo.HasExited;

    public string LogTail
    {
        get
        {
            lock (_log)
                return string.Join('\n', _log);
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > 200)
                _log.Dequeue();
        }
    }

    public static async Task<SiloNode> StartAsync(string stateDir, PgServer pg, IReadOnlyDictionary<string, string> settings, string siloDll)
    {
        if (!File.Exists(siloDll))
            throw new InvalidOperationException($"{siloDll} is missing: run `make build`");
        int apiPort = Net.FreePort(), ingestPort = Net.FreePort();
        var machineId = "bench-" + Guid.NewGuid().ToString("N")[..12];
        var api = new Uri($"http://127.0.0.1:{apiPort}");
        var ingest = $"tcp://127.0.0.1:{ingestPort}";
        // The config file is copied into the state dir so every process of this run names that dir
        // on its command line (run.sh's clean-up finds them by it).
        var config = Path.Combine(stateDir, "scope.json");
        File.Copy(Repo.Path("deploy", "scope.json"), config, overwrite: true);
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        foreach (var a in new[] { siloDll, "--role", "all", "--config", config })
            psi.ArgumentList.Add(a);
        var env = new Dictionary<string, string>
        {
            ["SCOPE__MachineId"] = machineId,
            ["SCOPE_ADMIN_PASSWORD"] = AdminPassword,
            ["SCOPE__Api__Urls"] = api.ToString().TrimEnd('/'),
            ["SCOPE__Ingest__Endpoint"] = ingest,
            ["SCOPE__Storage__ConnectionString"] = pg.ConnectionString,
            ["SCOPE__Orleans__SiloPort"] = Net.FreePort().ToString(CultureInfo.InvariantCulture),
            ["SCOPE__Orleans__GatewayPort"] = Net.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (k, v) in settings)
            env[k] = v;
        foreach (var (k, v) in env)
            psi.Environment[k] = v;
        var node = new SiloNode(Process.Start(psi)!, api, ingest, machineId);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (node._silo.HasExited)
                throw new InvalidOperationException($"the silo exited ({node._silo.ExitCode}) during start-up:\n{node.LogTail}");
            try
            {
                if ((await node.Http.GetAsync(new Uri("/health", UriKind.Relative))).IsSuccessStatusCode)
                    return node;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"/health never said ok:\n{node.LogTail}");
            await Task.Delay(250);
        }
    }

    /// <summary>The silo's Prometheus counters, summed over their labels.</summary>
    public async Task<Dictionary<string, double>> MetricsAsync()
    {
        var text = await Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            int brace = line.IndexOf('{', StringComparison.Ordinal), space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space < 0)
                continue;
            if (brace >= 0 && brace < space)
                space = line.IndexOf(' ', line.IndexOf('}', StringComparison.Ordinal));
            var name = brace >= 0 && brace < space ? line[..brace] : line[..space];
            var rest = line[(space + 1)..].Split(' ');
            if (double.TryParse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                result[name] = result.GetValueOrDefault(name) + v;
        }
        return result;
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        Http.Dispose();
        if (!_silo.HasExited)
        {
            _ = Native.Kill(_silo.Id, 15);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _silo.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _silo.Kill(entireProcessTree: true);
                await _silo.WaitForExitAsync();
            }
        }
        _silo.Dispose();
    }
}

/// <summary>An external sender the silo accepts: scope-loadgen under a secret of the benchmark's own.</summary>
internal sealed class LoadSender
{
    public const string CollectorId = "loadgen";

    public LoadSender(string stateDir)
    {
        SecretFile = Path.Combine(stateDir, "loadgen.secret");
        File.WriteAllText(SecretFile, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        File.SetUnixFileMode(SecretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public string MachineId { get; } = "load-" + Guid.NewGuid().ToString("N")[..8];
    public string SecretFile { get; }

    public IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["SCOPE__Ingest__Collectors__0__Id"] = CollectorId,
        ["SCOPE__Ingest__Collectors__0__MachineId"] = MachineId,
        ["SCOPE__Ingest__Collectors__0__SecretFile"] = SecretFile,
    };

    public Process Start(string endpoint, long events, long rate, int batchRecords, int pids, int lingerMs = 60000)
    {
        var psi = new ProcessStartInfo(Repo.Loadgen) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            "--endpoint", endpoint, "--collector-id", CollectorId, "--machine-id", MachineId, "--secret-file", SecretFile,
            "--events", events.ToString(CultureInfo.InvariantCulture), "--rate", rate.ToString(CultureInfo.InvariantCulture),
            "--batch-records", batchRecords.ToString(CultureInfo.InvariantCulture), "--pids", pids.ToString(CultureInfo.InvariantCulture),
            "--linger-ms", lingerMs.ToString(CultureInfo.InvariantCulture),
        })
            psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public sealed record Summary(long Produced, long SendDrops, long Batches, long UnsentBatches, double Seconds, string Instance);

    public static async Task<Summary> SummaryAsync(Process load)
    {
        var stdout = load.StandardOutput.ReadToEndAsync();
        var stderr = load.StandardError.ReadToEndAsync();
        await load.WaitForExitAsync();
        var line = (await stdout).Trim();
        if (line.Length == 0)
            throw new InvalidOperationException("scope-loadgen printed no summary: " + await stderr);
        var j = JsonDocument.Parse(line).RootElement;
        return new Summary(j.GetProperty("produced").GetInt64(), j.GetProperty("send_drops").GetInt64(), j.GetProperty("batches").GetInt64(),
            j.GetProperty("unsent_batches").GetInt64(), j.GetProperty("seconds").GetDouble(), j.GetProperty("instance").GetString()!);
    }
}

/// <summary>Markdown helpers.</summary>
internal static class Md
{
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string align)
    {
        var sb = new StringBuilder();
        sb.Append("| ").AppendJoin(" | ", header).Append(" |\n|");
        foreach (var c in align)
            sb.Append(c == 'r' ? "---:|" : "---|");
        sb.Append('\n');
        foreach (var r in rows)
            sb.Append("| ").AppendJoin(" | ", r).Append(" |\n");
        return sb.ToString();
    }

    public static string N(double v, string format = "N0") => v.ToString(format, CultureInfo.InvariantCulture);

    public static string Rate(double perSecond) =>
        perSecond >= 1e6 ? (perSecond / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + " M/s"
        : (perSecond / 1e3).ToString("0", CultureInfo.InvariantCulture) + " k/s";
}
