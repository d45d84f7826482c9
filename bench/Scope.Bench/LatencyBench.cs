using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Scope.Bench;

/// <summary>
/// From a real process's exit to its exit code in the REST API, on a full node (real collector,
/// persistence on) carrying a steady background load.
/// </summary>
internal static class LatencyBench
{
    private const double GoalP99Seconds = 2.0;
    private const long BackgroundRate = 20_000;
    private static readonly TimeSpan ProbeEvery = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(30);

    private sealed record Probe(int Pid, DateTime Exited, DateTime? Seen, DateTimeOffset? KernelExit, int Polls)
    {
        public double? Latency => Seen is { } s ? (s - Exited).TotalSeconds : null;
        public double? FromKernel => Seen is { } s && KernelExit is { } k ? (s - k.UtcDateTime).TotalSeconds : null;
    }

    private sealed record Config(string Name, Probe[] Probes, LoadSender.Summary Load, int MaxActive, double SiloCores, double MachineCores, string Idle);

    public static async Task<string> RunAsync(string stateDir, PgServer pg, int probes)
    {
        var standard = await MeasureAsync(stateDir, pg, probes, "as configured (`FlushIntervalMs` 200)", new Dictionary<string, string>());
        // The same with the writer's flush interval at 0, which shows what that wait costs.
        var noFlushWait = await MeasureAsync(stateDir, pg, Math.Max(20, probes / 2), "`FlushIntervalMs` = 0",
            new Dictionary<string, string> { ["SCOPE__Storage__FlushIntervalMs"] = "0" });
        return Report(standard, noFlushWait);
    }

    private static async Task<Config> MeasureAsync(string stateDir, PgServer pg, int probes, string name, Dictionary<string, string> extra)
    {
        var sender = new LoadSender(stateDir);
        var settings = new Dictionary<string, string>(sender.Settings);
        foreach (var (k, v) in extra)
            settings[k] = v;
        await using var node = await SiloNode.StartAsync(stateDir, pg, settings, Repo.SiloDll);
        Console.Error.WriteLine($"latency ({name}): node up; waiting for the local collector");
        await WaitForLocalCollectorAsync(node);

        using var load = sender.Start(node.IngestEndpoint, BackgroundRate * 3600, BackgroundRate, 2000, 4, lingerMs: 10000);
        var loadSummary = LoadSender.SummaryAsync(load);
        var active = 0;
        var maxActive = 0;

        // Warm-up: the first probes pay for JIT and grain activations.
        for (int i = 0; i < 10; i++)
            await ProbeAsync(node, () => { }, () => { });
        await Task.Delay(1000);
        var marker = Path.GetDirectoryName(stateDir.TrimEnd('/'))!;
        var idle = await Quiet.WaitAsync(TimeSpan.FromMinutes(20), () => Quiet.OurProcessTree(marker));

        Console.Error.WriteLine($"latency ({name}): {probes} probes, one every {ProbeEvery.TotalMilliseconds} ms, with {BackgroundRate} events/s of background load");
        double silo0 = Cpu.ProcessSeconds(node.Pid), busy0 = Cpu.MachineBusySeconds();
        var sw = Stopwatch.StartNew();
        var tasks = new List<Task<Probe>>();
        for (int i = 0; i < probes; i++)
        {
            var due = ProbeEvery * i - sw.Elapsed;
            if (due > TimeSpan.Zero)
                await Task.Delay(due);
            tasks.Add(ProbeAsync(node,
                () => { var a = Interlocked.Increment(ref active); InterlockedMax(ref maxActive, a); },
                () => Interlocked.Decrement(ref active)));
        }
        var results = await Task.WhenAll(tasks);
        double wall = sw.Elapsed.TotalSeconds;
        double siloCpu = Cpu.ProcessSeconds(node.Pid) - silo0, busy = Cpu.MachineBusySeconds() - busy0;

        _ = Native.Kill(load.Id, 15);
        var summary = await loadSummary;
        return new Config(name, results, summary, maxActive, siloCpu / wall, busy / wall, idle);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private static async Task WaitForLocalCollectorAsync(SiloNode node)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var machines = await node.Http.GetFromJsonAsync<JsonElement>("/api/v1/machines");
            foreach (var m in machines.EnumerateArray())
            {
                if (m.GetProperty("id").GetString() == node.MachineId &&
                    m.GetProperty("collectors").EnumerateArray().Any(c => c.GetProperty("events").GetInt64() > 0))
                    return;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException("the local collector's events never reached the API:\n" + node.LogTail);
    }

    /// <summary>Runs `write_n 1 0`, takes the wall clock right after it is reaped, then polls the API for it.</summary>
    private static async Task<Probe> ProbeAsync(SiloNode node, Action started, Action done)
    {
        var psi = new ProcessStartInfo(Repo.WriteN) { UseShellExecute = false };
        psi.ArgumentList.Add("1");
        psi.ArgumentList.Add("0");
        using var p = Process.Start(psi)!;
        int pid = p.Id;
        await p.WaitForExitAsync();
        var exited = DateTime.UtcNow;
        started();
        try
        {
            int polls = 0;
            var url = new Uri($"/api/v1/processes?pid={pid}&machine={node.MachineId}", UriKind.Relative);
            while (DateTime.UtcNow - exited < GiveUpAfter)
            {
                polls++;
                var list = await node.Http.GetFromJsonAsync<JsonElement>(url);
                foreach (var e in list.EnumerateArray())
                {
                    // snake_case; null fields are left out.
                    if (!e.TryGetProperty("exit_code", out var code) || code.ValueKind != JsonValueKind.Number || code.GetInt32() != 0 ||
                        !e.TryGetProperty("exit_time", out var exitTime) || exitTime.ValueKind != JsonValueKind.String)
                        continue;
                    // A pid can be reused: only this run of it, which exited after the probe started.
                    var kernelExit = exitTime.GetDateTimeOffset();
                    if (kernelExit.UtcDateTime < exited.AddSeconds(-5))
                        continue;
                    return new Probe(pid, exited, DateTime.UtcNow, kernelExit, polls);
                }
                await Task.Delay(PollEvery);
            }
            var last = await node.Http.GetStringAsync(url);
            Console.Error.WriteLine($"latency: pid {pid} not seen after {polls} polls; last answer: {last[..Math.Min(1000, last.Length)]}");
            return new Probe(pid, exited, null, null, polls);
        }
        finally
        {
            done();
        }
    }

    private static double Quantile(double[] sorted, double q)
    {
        // Nearest rank: the smallest value with at least q of the samples at or below it.
        int rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static double[] Sorted(IEnumerable<double?> xs) => [.. xs.Where(x => x is not null).Select(x => x!.Value).OrderBy(x => x)];

    private static string Report(Config standard, Config noFlushWait)
    {
        var probes = standard.Probes;
        var lat = Sorted(probes.Select(p => p.Latency));
        int missing = probes.Length - lat.Length;
        double p99 = lat.Length > 0 ? Quantile(lat, 0.99) : double.NaN;
        bool met = missing == 0 && p99 < GoalP99Seconds;
        string Ms(double s) => (s * 1000).ToString("0", CultureInfo.InvariantCulture);
        IReadOnlyList<string> Row(string config, string from, int n, double[] xs) => xs.Length == 0
            ? [config, from, n.ToString(CultureInfo.InvariantCulture), "–", "–", "–", "–", "–", "–"]
            : [config, from, n.ToString(CultureInfo.InvariantCulture), Ms(Quantile(xs, 0.5)), Ms(Quantile(xs, 0.9)), Ms(Quantile(xs, 0.99)), Ms(xs[^1]), Ms(xs[0]), Ms(xs.Average())];
        var noWait = Sorted(noFlushWait.Probes.Select(p => p.Latency));

        var sb = new StringBuilder();
        sb.Append("## End-to-end latency: a process's exit to the REST API\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"""
            A full node as `make run` starts it: PostgreSQL, the silo with persistence on, and the real
            collector in its default system-wide, counts-only mode, plus `scope-loadgen` sending a steady
            {BackgroundRate:N0} events/s as a second collector. Every {ProbeEvery.TotalMilliseconds:0} ms the benchmark runs
            `collector-native/build/tests/write_n 1 0` (a real process: one `write`, exit code 0), takes
            the wall clock right after reaping it, and then polls
            `GET /api/v1/processes?pid=<pid>&machine=<id>` every {PollEvery.TotalMilliseconds:0} ms until the process is there
            with its exit code. {probes.Length} probes after 10 warm-up ones; up to {standard.MaxActive} were being polled at once.
            Then the same on a second node with the writer's `FlushIntervalMs` at 0 ({noFlushWait.Probes.Length} probes), to show
            what that wait costs.


            """);
        sb.Append(CultureInfo.InvariantCulture, $"Goal: p99 < {GoalP99Seconds:0} s. **{(met ? "met" : "not met")}**: p99 {Ms(p99)} ms");
        if (missing > 0)
            sb.Append(CultureInfo.InvariantCulture, $", and {missing} of {probes.Length} processes never appeared within {GiveUpAfter.TotalSeconds:0} s.\n\n");
        else
            sb.Append(CultureInfo.InvariantCulture, $", all {probes.Length} processes seen.\n\n");
        sb.Append(Md.Table(["node", "from", "probes seen", "p50 ms", "p90 ms", "p99 ms", "max ms", "min ms", "mean ms"],
        [
            Row(standard.Name, "process reaped (wall clock in the benchmark)", lat.Length, lat),
            Row(standard.Name, "exit as the kernel stamped it (`exitTime`)", lat.Length, Sorted(probes.Select(p => p.FromKernel))),
            Row(noFlushWait.Name, "process reaped", noWait.Length, noWait),
        ], "llrrrrrrr"));
        sb.Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"""
            Where the time goes, by design: (1) the collector sends a batch when it is full or, at its
            next ring-buffer wake-up, once 100 ms have passed since its previous batch: 0–100 ms;
            (2) ingest and `MachineGrain`: about a millisecond; (3) the Orleans memory stream to the
            persistence subscriber: its pulling agent polls the queue every 100 ms when it last found it
            empty (`GetQueueMsgsTimerPeriod`, default), 0–100 ms; (4) the writer starts a transaction once
            its oldest waiting batch is `FlushIntervalMs` (200 ms) old or 50,000 records wait: 0–200 ms,
            then the transaction itself (COPY and upserts); (5) the API reads PostgreSQL, and polling
            adds up to {PollEvery.TotalMilliseconds:0} ms. The designed waits alone come to 0–400 ms, 200 ms on average;
            the rest is the transaction, the silo's and the collector's own work, and the API's query.
            The second row also counts the kernel to collector step (ring buffer, wake-up). With
            `FlushIntervalMs` = 0 the mean is {(noWait.Length > 0 ? Ms(noWait.Average()) : "–")} ms instead of {(lat.Length > 0 ? Ms(lat.Average()) : "–")}: the writer's wait accounts for about
            {(noWait.Length > 0 && lat.Length > 0 ? Ms(lat.Average() - noWait.Average()) : "–")} ms of the mean, at the price of more, smaller transactions.

            During the probes (as configured) the silo used {standard.SiloCores:0.00} cores and the whole machine {standard.MachineCores:0.00}
            (of {Machine.Cores}), the pollers included. The background sender produced {standard.Load.Produced:N0} records, dropped {standard.Load.SendDrops:N0}.

            Run {Machine.Describe()}, by `bench/pipeline/run.sh` (`scope-bench latency`); {standard.Idle}.

            """);
        return sb.ToString();
    }
}
