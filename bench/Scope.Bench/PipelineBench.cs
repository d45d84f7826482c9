using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Scope.Bench;

/// <summary>
/// Collector framing → ZeroMQ → ingest → MachineGrain → ProcessGrains → stream, without storage:
/// a node with PersistEvents=false and no local collector, fed by scope-loadgen at offered rates.
/// </summary>
internal static class PipelineBench
{
    private const int BatchRecords = 2000;
    private const double RunSeconds = 10;
    private const double GoalRate = 1_000_000;
    // A run "keeps up" when the grains took what was offered, at the rate it was offered, nothing dropped.
    private const double KeepUpFraction = 0.95;

    private sealed record Spec(long Rate, int Pids)
    {
        public long Events => Rate > 0 ? (long)(Rate * RunSeconds) : 10_000_000;
        public string Offered => Rate > 0 ? Md.Rate(Rate) : "max (--rate 0)";
    }

    private sealed record Result(
        Spec Spec, LoadSender.Summary Load, long Received, long GrainBatches, long IngestBatches, long Gaps, long Rejected,
        long ProcessCalls, double Wall, double SendSeconds, double SiloCpu, double LoadCpu, double OtherCpu, double MachineCores, int MaxQueue, double MeanQueue,
        bool Settled, string OtherTop, double Steal)
    {
        public long Unaccounted => Load.Produced - Received - Load.SendDrops - Gaps;
        public double Achieved => Received / Wall;
        public bool KeepsUp => Load.SendDrops == 0 && Unaccounted == 0 && Spec.Rate > 0 && Achieved >= KeepUpFraction * Spec.Rate;
    }

    public static async Task<string> RunAsync(string stateDir, PgServer pg, bool quick)
    {
        var sender = new LoadSender(stateDir);
        var settings = new Dictionary<string, string>(sender.Settings)
        {
            ["SCOPE__Storage__PersistEvents"] = "false",
            ["SCOPE__Collector__Enabled"] = "false",
        };
        await using var node = await SiloNode.StartAsync(stateDir, pg, settings, Repo.SiloDll);
        var marker = Path.GetDirectoryName(stateDir.TrimEnd('/'))!;
        IEnumerable<int> Ours() => Quiet.OurProcessTree(marker);

        // Warm-up: JIT, grain activation, the stream. Not reported.
        Console.Error.WriteLine("pipeline: warm-up");
        await MeasureAsync(node, sender, new Spec(600_000, 4), 3_000_000, Ours);

        var idle = await Quiet.WaitAsync(TimeSpan.FromMinutes(20), Ours);
        Spec[] specs = quick
            ? [new(250_000, 4), new(1_000_000, 4), new(0, 4)]
            : [new(100_000, 4), new(250_000, 4), new(500_000, 4), new(1_000_000, 4), new(2_000_000, 4), new(0, 4), new(0, 100)];
        var results = new List<Result>();
        var idleNotes = new List<string>();
        foreach (var spec in specs)
        {
            var note = await Quiet.WaitAsync(TimeSpan.FromMinutes(20), Ours);
            if (!note.StartsWith("idle", StringComparison.Ordinal))
                idleNotes.Add($"before {spec.Offered}/{spec.Pids} pids: {note}");
            Console.Error.WriteLine($"pipeline: offered {spec.Offered}, {spec.Pids} pids");
            var r = await MeasureAsync(node, sender, spec, spec.Events, Ours);
            Console.Error.WriteLine($"pipeline:   achieved {Md.Rate(r.Achieved)}, send_drops {r.Load.SendDrops}, unaccounted {r.Unaccounted}, silo {r.SiloCpu / r.Wall:F2} cores");
            results.Add(r);
        }
        // Where the silo's CPU goes, from perf: on a second silo (perf needs the JIT's symbol map,
        // which the measured one did not pay for).
        Profile? profile = null;
        if (Perf.Available)
        {
            await node.DisposeAsync();
            profile = await ProfileAsync(stateDir, pg, sender);
        }
        return Report(results, idle, idleNotes, profile);
    }

    private const long ProfileRate = 800_000;

    private sealed record Profile(long Rate, double Seconds, IReadOnlyList<(string What, double Percent)> Categories,
        IReadOnlyList<(string Thread, double Percent)> Threads, IReadOnlyList<(string Symbol, double Percent)> Top, double SiloCores);

    private static async Task<Profile?> ProfileAsync(string stateDir, PgServer pg, LoadSender sender)
    {
        var settings = new Dictionary<string, string>(sender.Settings)
        {
            ["SCOPE__Storage__PersistEvents"] = "false",
            ["SCOPE__Collector__Enabled"] = "false",
            // perf resolves JIT-compiled frames through /tmp/perf-PID.map, and only in anonymous
            // memory: the W^X double mapping hides them.
            ["DOTNET_PerfMapEnabled"] = "1",
            ["DOTNET_EnableWriteXorExecute"] = "0",
        };
        int siloPid;
        Profile? profile;
        await using (var node = await SiloNode.StartAsync(stateDir, pg, settings, Repo.SiloDll))
        {
            siloPid = node.Pid;
            Console.Error.WriteLine($"pipeline: profiling the silo with perf at {Md.Rate(ProfileRate)}");
            // Long enough for tiered compilation to settle: its background JIT is not the steady state.
            await MeasureAsync(node, sender, new Spec(600_000, 4), 6_000_000, () => []);
            using var load = sender.Start(node.IngestEndpoint, ProfileRate * 8, ProfileRate, BatchRecords, 4);
            var summary = LoadSender.SummaryAsync(load);
            await Task.Delay(2000);
            var data = Path.Combine(stateDir, "perf.data");
            double c0 = Cpu.ProcessSeconds(node.Pid);
            var sw = Stopwatch.StartNew();
            bool recorded = await Perf.RecordAsync(node.Pid, data, seconds: 4);
            double cores = (Cpu.ProcessSeconds(node.Pid) - c0) / sw.Elapsed.TotalSeconds;
            await summary;
            profile = recorded ? await Perf.SummarizeAsync(data, ProfileRate, 4, cores) : null;
        }
        foreach (var map in new[] { $"/tmp/perf-{siloPid}.map", $"/tmp/perfinfo-{siloPid}.map" })
            File.Delete(map);
        return profile;
    }

    /// <summary>perf, if installed: record one process, then sum its samples by what they are.</summary>
    private static class Perf
    {
        public static bool Available => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "perf")));

        public static async Task<bool> RecordAsync(int pid, string output, int seconds)
        {
            var (rc, _) = await RunAsync("record", "-F", "499", "-p", pid.ToString(CultureInfo.InvariantCulture), "-o", output, "--", "sleep", seconds.ToString(CultureInfo.InvariantCulture));
            return rc == 0 && File.Exists(output);
        }

        private static async Task<(int, string)> RunAsync(params string[] args)
        {
            var psi = new ProcessStartInfo("perf") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in args)
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            await stderr;
            return (p.ExitCode, await stdout);
        }

        private static List<(string Dso, string Kind, string Symbol, double Percent)> Parse(string report)
        {
            var rows = new List<(string, string, string, double)>();
            var line = new System.Text.RegularExpressions.Regex(@"^\s*([\d.]+)%\s+(.+?)\s+\[([.kgu])\]\s+(.+)$");
            foreach (var l in report.Split('\n'))
            {
                var m = line.Match(l);
                if (m.Success)
                    rows.Add((m.Groups[2].Value.Trim(), m.Groups[3].Value, m.Groups[4].Value.Trim(), double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)));
            }
            return rows;
        }

        public static async Task<Profile> SummarizeAsync(string data, long rate, double seconds, double cores)
        {
            var (_, bySym) = await RunAsync("report", "-i", data, "--stdio", "--no-children", "--sort", "dso,sym", "-g", "none");
            var (_, byComm) = await RunAsync("report", "-i", data, "--stdio", "--no-children", "--sort", "comm", "-g", "none");
            var rows = Parse(bySym);
            var categories = new (string What, Func<(string Dso, string Kind, string Symbol, double Percent), bool> Is)[]
            {
                ("Orleans memory stream: deep copies of each batch's serialized payload (`MemoryMessageData`), byte by byte (`ArraySegmentCopier<byte>.DeepCopy`, also inlined into `ListCopier<MemoryMessageData>`)",
                    r => r.Symbol.Contains("ArraySegmentCopier", StringComparison.Ordinal) || r.Symbol.Contains("MemoryMessageData", StringComparison.Ordinal)),
                ("`memset` / `memmove` (zeroing and filling freshly allocated buffers)", r => r.Dso.StartsWith("libc", StringComparison.Ordinal) && (r.Symbol.Contains("memset", StringComparison.Ordinal) || r.Symbol.Contains("memmove", StringComparison.Ordinal) || r.Symbol.Contains("memcpy", StringComparison.Ordinal))),
                ("kernel: page faults and page clearing (new memory)", r => r.Kind == "k" && (r.Symbol.Contains("fault", StringComparison.Ordinal) || r.Symbol.Contains("clear_page", StringComparison.Ordinal))),
                ("HMAC-SHA256 of each frame (libcrypto)", r => r.Dso.StartsWith("libcrypto", StringComparison.Ordinal)),
                ("SCOPE's own code (record walking, per-process deltas, grains, ingest)", r => r.Symbol.Contains("[Scope.", StringComparison.Ordinal)),
                ("runtime: GC, JIT, type system (libcoreclr, libclrjit)", r => r.Dso.StartsWith("libcoreclr", StringComparison.Ordinal) || r.Dso.StartsWith("libclrjit", StringComparison.Ordinal)),
                ("other kernel (scheduling, sockets, syscalls)", r => r.Kind == "k"),
                ("everything else (Orleans messaging and scheduling, NetMQ, BCL)", _ => true),
            };
            var sums = new double[categories.Length];
            foreach (var r in rows)
            {
                int i = Array.FindIndex(categories, c => c.Is(r));
                sums[i] += r.Percent;
            }
            var threads = Parse(byComm.Replace("%  ", "%  x [.] ", StringComparison.Ordinal))
                .Select(r => (r.Symbol, r.Percent)).ToList();
            var top = rows.Where(r => !r.Symbol.StartsWith("0x", StringComparison.Ordinal)).OrderByDescending(r => r.Percent).Take(8)
                .Select(r => (Short(r.Symbol), r.Percent)).ToList();
            return new Profile(rate, seconds, [.. categories.Select((c, i) => (c.What, sums[i]))], threads, top, cores);
        }

        /// <summary>A JIT frame's "Namespace.Type::Method", without signature; native symbols as they are.</summary>
        private static string Short(string symbol)
        {
            var m = System.Text.RegularExpressions.Regex.Match(symbol, @"([\w.`\[\]+<>]+::[\w.`<>|]+)\(");
            var s = m.Success ? m.Groups[1].Value : symbol;
            return s.Replace("`1[System.Byte]", "<byte>", StringComparison.Ordinal).Replace("|", "/", StringComparison.Ordinal);
        }
    }

    private static async Task<Result> MeasureAsync(SiloNode node, LoadSender sender, Spec spec, long events, Func<IEnumerable<int>> ours)
    {
        var m0 = await node.MetricsAsync();
        var procs0 = Cpu.Snapshot();
        double silo0 = Cpu.ProcessSeconds(node.Pid), busy0 = Cpu.MachineBusySeconds(), kids0 = Native.ReapedChildrenCpuSeconds(), steal0 = Cpu.MachineStealSeconds();
        var sw = Stopwatch.StartNew();
        using var load = sender.Start(node.IngestEndpoint, events, spec.Rate, BatchRecords, spec.Pids);
        var summaryTask = LoadSender.SummaryAsync(load);

        double lastChange = 0, sendDone = double.NaN;
        long received = 0, grainBatches = 0, ingestBatches = 0, gaps = 0, rejected = 0, calls = 0;
        int maxQueue = 0;
        double queueSum = 0;
        int samples = 0;
        LoadSender.Summary? summary = null;
        bool settled = false;
        while (true)
        {
            await Task.Delay(100);
            var m = await node.MetricsAsync();
            double now = sw.Elapsed.TotalSeconds;
            long D(string name) => (long)(m.GetValueOrDefault(name) - m0.GetValueOrDefault(name));
            long rec = D("scope_ingest_events_total");
            long gb = D("scope_grains_batches_total");
            if (gb != grainBatches || rec != received)
                lastChange = now;
            received = rec;
            grainBatches = gb;
            ingestBatches = D("scope_ingest_batches_total");
            gaps = D("scope_grains_gap_events_total");
            rejected = D("scope_ingest_rejected_total");
            calls = D("scope_grains_process_calls_total");
            int q = (int)m.GetValueOrDefault("scope_ingest_queue_depth");
            maxQueue = Math.Max(maxQueue, q);
            queueSum += q;
            samples++;
            if (summary is null && summaryTask.IsCompleted)
            {
                summary = await summaryTask;
                sendDone = now;
            }
            if (summary is not null)
            {
                // Every accepted batch went through the grains, and everything produced is accounted.
                if (grainBatches == ingestBatches && received + summary.SendDrops + gaps >= summary.Produced)
                {
                    settled = true;
                    break;
                }
                if (now - Math.Max(sendDone, lastChange) > 30)
                    break;
            }
        }
        double silo1 = Cpu.ProcessSeconds(node.Pid), busy1 = Cpu.MachineBusySeconds(), kids1 = Native.ReapedChildrenCpuSeconds(), steal1 = Cpu.MachineStealSeconds();
        var otherTop = Cpu.TopOthers(procs0, Cpu.Snapshot(), ours().ToHashSet(), sw.Elapsed.TotalSeconds);
        double wall = lastChange;
        double loadCpu = kids1 - kids0, siloCpu = silo1 - silo0;
        double other = Math.Max(0, busy1 - busy0 - siloCpu - loadCpu);
        return new Result(spec, summary!, received, grainBatches, ingestBatches, gaps, rejected, calls, wall, summary!.Seconds,
            siloCpu, loadCpu, other / sw.Elapsed.TotalSeconds, (busy1 - busy0) / sw.Elapsed.TotalSeconds, maxQueue, queueSum / Math.Max(1, samples), settled, otherTop, (steal1 - steal0) / sw.Elapsed.TotalSeconds);
    }

    private static string Report(List<Result> results, string idle, List<string> idleNotes, Profile? profile)
    {
        var fixedRuns = results.Where(r => r.Spec.Rate > 0 && r.Spec.Pids == 4).OrderBy(r => r.Spec.Rate).ToList();
        var lossStart = fixedRuns.FirstOrDefault(r => r.Load.SendDrops > 0);
        var lastKept = fixedRuns.LastOrDefault(r => r.KeepsUp);
        var firstBehind = fixedRuns.FirstOrDefault(r => !r.KeepsUp);
        var goalRun = fixedRuns.FirstOrDefault(r => r.Spec.Rate >= GoalRate);
        bool goalMet = goalRun is not null && goalRun.KeepsUp;
        var max4 = results.Where(r => r.Spec.Pids == 4).MaxBy(r => r.Achieved)!;
        var max100 = results.FirstOrDefault(r => r.Spec.Pids == 100);
        bool allAccounted = results.All(r => r.Unaccounted == 0 && r.Load.UnsentBatches == 0);

        var sb = new StringBuilder();
        sb.Append("## Pipeline throughput: collector framing to the grains\n\n");
        sb.Append("""
            What one node takes from a collector, without storage: `scope-loadgen` (the collector's own
            framing, HMAC signing and ZeroMQ sender, with synthetic 120-byte syscall records) pushes to a
            silo started with `Scope:Storage:PersistEvents=false` and no local collector. Every batch is
            received, checked and authenticated by the ingest, accounted by its `MachineGrain`, split
            into one `ProcessGrain` call per process, and published to the stream, whose persistence
            subscriber then discards it. Batches of 2000 records; 4 processes (one run with 100).
            Each offered rate runs for 10 s (`--events` = 10 × rate); "max" sends 10 M records as fast as
            the generator can, so its sender queue overflows by design.


            """);
        sb.Append("""
            - **achieved**: records that went through the grains (`scope_ingest_events_total` delta, taken
              once `scope_grains_batches_total` has caught up with `scope_ingest_batches_total`, i.e.
              every accepted batch passed its `MachineGrain`), over the time from the generator's start
              to the last grain batch.
            - **unaccounted** = produced − received by the grains − `send_drops` − gaps: the identity
              "every record produced is received or counted as dropped".
            - **CPU** from `/proc/PID/stat` (silo) and `getrusage` of the reaped generator, both the
              kernel's utime + stime; "other" is the rest of the machine's busy time over the same span:
              the benchmark driver scraping `/metrics`, loopback TCP in softirq, PostgreSQL, and any
              process not the benchmark's (named when it used ≥ 0.05 cores).
            - **queue**: the ingest's per-machine queue to the grain (`scope_ingest_queue_depth`,
              sampled every 100 ms; bound 32 batches). Full means the grains are the bottleneck and
              the reader waits; near empty means the reader (receive, MAC) is.


            """);

        string verdict = goalMet
            ? $"**met**: at {Md.Rate(goalRun!.Spec.Rate)} offered, {Md.Rate(goalRun.Achieved)} reached the grains, no record dropped or unaccounted"
            : goalRun is null
                ? "**not measured** (no run at 1 M/s)"
                : $"**not met**: at {Md.Rate(goalRun.Spec.Rate)} offered, {Md.Rate(goalRun.Achieved)} reached the grains" +
                  (goalRun.Load.SendDrops > 0 ? $" and the sender dropped {Md.N(goalRun.Load.SendDrops)} records (counted)" : " (the rest waited in the sender's queue)");
        sb.Append(CultureInfo.InvariantCulture, $"Goal: ≥ 1 M events/s on this {Machine.Cores}-core machine with zero unaccounted loss. {verdict}.\n\n");
        sb.Append(CultureInfo.InvariantCulture, $"- Zero unaccounted loss in every run: **{(allAccounted ? "yes" : "NO")}** (produced = received + send_drops + gaps, exactly).\n");
        sb.Append(CultureInfo.InvariantCulture, $"- Highest offered rate the grains kept up with (≥ {KeepUpFraction * 100:0}% of it, no drops): {(lastKept is null ? "none of those tried" : Md.Rate(lastKept.Spec.Rate))}");
        sb.Append(firstBehind is null ? ".\n" : $"; at {Md.Rate(firstBehind.Spec.Rate)} they fell behind.\n");
        sb.Append("- Loss (`send_drops` > 0) begins at: ")
            .Append(lossStart is null ? "no fixed rate tried (up to " + Md.Rate(fixedRuns.Last().Spec.Rate) + ")" : Md.Rate(lossStart.Spec.Rate) + " offered")
            .Append(". A sender that outruns the grains first queues (ZeroMQ `--hwm` 1000 batches plus a 64 MiB queue, about 2.5 M records), so in a 10 s run loss starts once the backlog exceeds that, not as soon as the grains fall behind.\n");
        sb.Append(CultureInfo.InvariantCulture, $"- Most the grains took: {Md.Rate(max4.Achieved)} with 4 processes");
        if (max100 is null)
            sb.Append(".\n");
        else
            sb.Append(CultureInfo.InvariantCulture, $", {Md.Rate(max100.Achieved)} with 100 processes (one grain call per process per batch: {max100.ProcessCalls / Math.Max(1.0, max100.GrainBatches):F0} calls per batch instead of {max4.ProcessCalls / Math.Max(1.0, max4.GrainBatches):F0}).\n");
        var behind = results.Where(r => !r.KeepsUp).ToList();
        if (goalRun is not null && !goalRun.KeepsUp)
        {
            double silo = goalRun.SiloCpu * 1e6 / goalRun.Received, gen = goalRun.LoadCpu * 1e6 / goalRun.Load.Produced;
            sb.Append(CultureInfo.InvariantCulture, $"- Bottleneck: CPU. In the {Md.Rate(goalRun.Spec.Rate)} run the silo spent {silo:0.00} µs per event it took and the generator (the collector's framing, HMAC, sending) {gen:0.00} µs per event it produced: ");
            sb.Append(CultureInfo.InvariantCulture, $"1 M events/s would take {silo:0.00} + {gen:0.00} = {silo + gen:0.0} cores, on a machine of {Machine.Cores}. ");
            sb.Append(CultureInfo.InvariantCulture, $"While behind, {behind.Average(r => r.MachineCores):0.00} of {Machine.Cores} cores were busy (the silo {behind.Average(r => r.SiloCpu / r.Wall):0.00}), ");
            sb.Append(CultureInfo.InvariantCulture, $"and the ingest queue stood at {behind.Average(r => r.MeanQueue):0} of 32 batches on average: the reader waited for the grains, so the limiting stage is the grain side ");
            sb.Append("(`MachineGrain` accounting and per-process split, `ProcessGrain` calls, the stream), not the socket or the MAC check. The profile below shows where that CPU goes.\n");
        }
        double steal = results.Average(r => r.Steal);
        if (steal >= 0.01)
            sb.Append(CultureInfo.InvariantCulture, $"- The hypervisor took {steal:0.00} cores' worth on average during the runs (steal), not counted as busy above.\n");
        sb.Append('\n');

        var rows = results.Select(r => (IReadOnlyList<string>)
        [
            r.Spec.Offered, r.Spec.Pids.ToString(CultureInfo.InvariantCulture), Md.N(r.Load.Produced), Md.N(r.Received),
            Md.Rate(r.Achieved), Md.N(r.Load.SendDrops), Md.N(r.Gaps), Md.N(r.Unaccounted),
            (r.SiloCpu / r.Wall).ToString("0.00", CultureInfo.InvariantCulture),
            (r.SiloCpu * 1e6 / Math.Max(1, r.Received)).ToString("0.00", CultureInfo.InvariantCulture),
            (r.LoadCpu * 1e6 / Math.Max(1, r.Load.Produced)).ToString("0.00", CultureInfo.InvariantCulture),
            r.OtherCpu.ToString("0.00", CultureInfo.InvariantCulture) + (r.OtherTop.Length > 0 ? $" ({r.OtherTop})" : ""),
            r.MachineCores.ToString("0.00", CultureInfo.InvariantCulture),
            $"{r.MeanQueue:0} / {r.MaxQueue}",
            r.KeepsUp ? "yes" : "no",
        ]);
        sb.Append(Md.Table(
            ["offered", "pids", "produced", "received by grains", "achieved", "send_drops", "gaps", "unaccounted", "silo cores", "silo µs/event", "generator µs/event", "other cores", "machine cores", "queue mean / max", "keeps up"],
            rows, "lrrrrrrrrrrrrrl"));
        sb.Append('\n');
        if (profile is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"""
                Where the silo's CPU goes: `perf record -F 499` of the silo for {profile.Seconds:0} s at {Md.Rate(profile.Rate)} offered
                (4 processes; a second silo with the JIT's perf map on; it used {profile.SiloCores:0.00} cores meanwhile), self time:


                """);
            sb.Append(Md.Table(["what", "share of the silo's samples"],
                profile.Categories.Select(c => (IReadOnlyList<string>)[c.What, c.Percent.ToString("0.0", CultureInfo.InvariantCulture) + "%"]), "lr"));
            double copies = profile.Categories.Take(3).Sum(c => c.Percent) / 100;
            var heaviest = results.FirstOrDefault(r => r.Spec.Pids == 4 && r.Spec.Rate == (long)GoalRate)
                ?? results.Where(r => r.Spec.Pids == 4 && r.Spec.Rate > 0).MaxBy(r => r.Spec.Rate)!;
            double siloUs = heaviest.SiloCpu * 1e6 / heaviest.Received, genUs = heaviest.LoadCpu * 1e6 / heaviest.Load.Produced;
            sb.Append(CultureInfo.InvariantCulture, $"\nThe memory stream's copies and the fresh memory they take (the first three rows): {copies * 100:0}% of the silo's CPU. ");
            sb.Append(CultureInfo.InvariantCulture, $"An estimate, not a measurement: without them, and nothing else changed, the silo's {siloUs:0.00} µs per event (the {Md.Rate(heaviest.Spec.Rate)} run) would be about {siloUs * (1 - copies):0.00}, ");
            sb.Append(CultureInfo.InvariantCulture, $"and 1 M events/s would take about {siloUs * (1 - copies) + genUs:0.0} cores with the generator.\n");
            sb.Append("\nBy thread: ")
                .AppendJoin(", ", profile.Threads.Take(5).Select(t => $"`{t.Thread}` {t.Percent.ToString("0.0", CultureInfo.InvariantCulture)}%"))
                .Append(" (`scope-ingest` is the one thread that receives and authenticates frames). Top symbols: ")
                .AppendJoin(", ", profile.Top.Select(t => $"`{t.Symbol}` {t.Percent.ToString("0.0", CultureInfo.InvariantCulture)}%"))
                .Append(".\n\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"Run {Machine.Describe()}, by `bench/pipeline/run.sh` (`scope-bench pipeline`). ");
        sb.Append(CultureInfo.InvariantCulture, $"Machine state before the runs: {idle}.");
        foreach (var n in idleNotes)
            sb.Append(' ').Append(n).Append('.');
        sb.Append(" Silo: the `make build` (Debug) output, as `make run` starts it; a 3 M-record warm-up run at 600 k/s precedes the table. \"other cores\" names the busiest processes that were not the benchmark's.\n");
        return sb.ToString();
    }
}
