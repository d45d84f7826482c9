using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Scope.MultiHost.Tests;

/// <summary>
/// Issue 10 on a real cluster of three hosts (network namespaces; see <see cref="MultiHostCluster"/>):
/// a task on host B runs only B's collector and only B's data arrives; B's silo killed with -9 takes
/// its collectors within 5 s, its task becomes lost, the core and host A keep working, and the records
/// lost in flight are counted when B comes back, registers again and restarts its task; an edge or a
/// client with a certificate from another CA is refused. Every step prints how long it took.
/// </summary>
public sealed class MultiHostTests(MultiHostCluster cluster, ITestOutputHelper output) : IClassFixture<MultiHostCluster>
{
    /// <summary>How long the core may take to call a killed host's tasks lost (docs/fleet.md, "When a host dies").</summary>
    private const int LostWithinSeconds = 30;

    private static readonly string[] Probes = ["process", "syscalls"];

    private readonly Stopwatch _step = Stopwatch.StartNew();

    private void Step(string what)
    {
        output.WriteLine($"[{_step.Elapsed.TotalSeconds,6:0.0} s] {what}");
        _step.Restart();
    }

    private string WriteN => Path.Combine(cluster.Repo, "collector-native", "build", "tests", "write_n");

    [Fact]
    public async Task A_task_on_host_B_runs_only_there_and_outlives_the_loss_and_return_of_B()
    {
        foreach (var (step, took) in cluster.SetupTimes)
            output.WriteLine($"[{took.TotalSeconds,6:0.0} s] setup: {step}");
        _step.Restart();
        var netB = HostNetwork.NetnsOf(cluster.B);
        var netA = HostNetwork.NetnsOf(cluster.A);
        Assert.NotEqual(netA, netB);

        // The same workload on both hosts: a loop that runs write_n every 200 ms.
        using var loopA = StartLoop(cluster.A);
        using var loopB = StartLoop(cluster.B);
        var id = await CreateTask(cluster.MachineB, loopB.Id, "b");
        var task = await WaitForState(id, "running", 60);
        var collector = task.GetProperty("collector").GetProperty("pid").GetInt32();
        Step($"task {id} running on B (collector pid {collector})");

        // Only B runs a collector, in B's network namespace.
        var collectors = AllCollectors();
        Assert.Equal([collector], collectors.Keys);
        Assert.Equal(netB, HostNetwork.NetnsOfProcess(collector));
        Assert.Equal(cluster.MachineB, Arg(collectors[collector], "--machine-id"));

        // Only B's data arrives, labelled with B's machine id and the task's labels.
        var events = await WaitForEvents($"/api/v1/events?task={id}&limit=1000", e => e.GetProperty("type").GetString() == "process_exit");
        Assert.All(events, e =>
        {
            Assert.Equal(cluster.MachineB, e.GetProperty("machine_id").GetString());
            Assert.Equal("b", e.GetProperty("labels").GetProperty("host").GetString());
        });
        Assert.Equal(0L, await cluster.Query<long>("SELECT count(*) FROM scope.events WHERE machine_id = @m", ("m", cluster.MachineA)));
        Assert.DoesNotContain(events, e => e.GetProperty("pid").GetInt32() == loopA.Id);
        Step($"{events.Count} events of B's task arrived, all from {cluster.MachineB}; none from A");

        // B's silo dies.
        var killedAt = Stopwatch.StartNew();
        cluster.SiloB.Kill9();
        await cluster.SiloB.WaitForExitAsync(CancellationToken.None);
        while (AllCollectors().ContainsKey(collector))
        {
            Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(5), $"B's collector {collector} still runs {killedAt.Elapsed.TotalSeconds:0.0} s after its silo was killed");
            await Task.Delay(50);
        }
        Step($"B's silo killed with -9; its collector gone after {killedAt.Elapsed.TotalSeconds:0.00} s");

        task = await WaitForState(id, "lost", LostWithinSeconds);
        Step($"B's task lost {killedAt.Elapsed.TotalSeconds:0.0} s after the kill: {task.GetProperty("reason").GetString()}");

        // The core and host A keep working: a task on A runs and A's data arrives.
        using (var r = await cluster.Api.GetAsync(new Uri("/health", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var idA = await CreateTask(cluster.MachineA, loopA.Id, "a");
        await WaitForState(idA, "running", 60);
        var eventsA = await WaitForEvents($"/api/v1/events?task={idA}&limit=1000", e => e.GetProperty("type").GetString() == "process_exit");
        Assert.All(eventsA, e => Assert.Equal(cluster.MachineA, e.GetProperty("machine_id").GetString()));
        Assert.Equal(netA, HostNetwork.NetnsOfProcess(AllCollectors().Keys.Single()));
        await StopTask(idA);
        Step($"with B down, a task on A ran and {eventsA.Count} of A's events arrived");

        // What B's collector produced, from the final account it left when its silo died.
        var finals = Directory.GetFiles(Path.Combine(cluster.StateDir, "b", "state", "final"), "*.json");
        var final = JsonDocument.Parse(await File.ReadAllTextAsync(Assert.Single(finals))).RootElement;
        output.WriteLine("final account: " + final.GetRawText());
        Assert.Equal("parent-gone", final.GetProperty("reason").GetString());
        var instance = unchecked((long)ulong.Parse(final.GetProperty("instance").GetString()!, CultureInfo.InvariantCulture));
        var produced = final.GetProperty("next_event").GetInt64();
        var collectorId = final.GetProperty("collector_id").GetString()!;
        var (accountedBefore, gapsBefore, dropsBefore) = await CollectorRow(collectorId, instance);
        Assert.True(produced >= accountedBefore, $"produced {produced}, accounted {accountedBefore}");

        // B comes back: it registers again, counts what was lost in flight, and its task runs again.
        var restartedAt = DateTimeOffset.UtcNow;
        cluster.SiloB.Dispose();
        cluster.SiloB = cluster.StartSilo(cluster.B, "edge", "b", cluster.Tls);
        await MultiHostCluster.WaitHealthy(cluster.SiloB, MultiHostCluster.EdgeApiPort);
        Step("B's silo started again and is healthy");

        task = await WaitForState(id, "running", 60, t =>
            t.GetProperty("collector").GetProperty("pid").ValueKind == JsonValueKind.Number
            && t.GetProperty("collector").GetProperty("pid").GetInt32() != collector);
        var again = task.GetProperty("collector").GetProperty("pid").GetInt32();
        Assert.Equal(netB, HostNetwork.NetnsOfProcess(again));
        var machineB = (await cluster.Machines()).Single(m => m.GetProperty("id").GetString() == cluster.MachineB);
        Assert.True(machineB.GetProperty("agent").GetProperty("started_at").GetDateTimeOffset() >= restartedAt.AddSeconds(-1),
            "B's agent is the restarted one: " + machineB.GetRawText());
        Step($"B registered again and its task runs again (collector pid {again})");

        var (accounted, gaps, drops) = await CollectorRow(collectorId, instance);
        var lost = produced - accountedBefore - Math.Max(0, final.GetProperty("send_drops").GetInt64() - dropsBefore);
        Assert.Equal(produced, accounted);
        Assert.Equal(Math.Max(0, lost), gaps - gapsBefore);
        Assert.Contains($"Collector {collectorId}", cluster.SiloB.Log, StringComparison.Ordinal);
        Assert.Contains("stopped with its silo (parent-gone)", cluster.SiloB.Log, StringComparison.Ordinal);
        var left = Directory.GetFiles(Path.Combine(cluster.StateDir, "b", "state", "final"), "*.json");
        Assert.DoesNotContain(left, finals.Contains);
        Step($"records lost in flight counted: {gaps - gapsBefore} of {produced} (accounted before: {accountedBefore})");

        var fresh = await WaitForEvents($"/api/v1/events?task={id}&from={Uri.EscapeDataString(restartedAt.ToString("O", CultureInfo.InvariantCulture))}&limit=1000",
            e => e.GetProperty("type").GetString() == "process_exit");
        Assert.All(fresh, e => Assert.Equal(cluster.MachineB, e.GetProperty("machine_id").GetString()));
        Step($"{fresh.Count} new events from B after its return");

        await StopTask(id);
        Assert.Empty(AllCollectors());
        Step("task stopped; no collector left");
    }

    [Fact]
    public async Task An_edge_with_a_certificate_from_another_CA_cannot_join()
    {
        var rogueHost = cluster.Network.AddHost("rogue", 13);
        var machine = "rogue" + cluster.Network.Id;
        using var rogue = cluster.StartSilo(rogueHost, "edge", "rogue", cluster.RogueTls, machine);
        var sw = Stopwatch.StartNew();
        // It cannot talk to any member, so its join fails and it stops; it must never become active.
        while (!rogue.HasExited && sw.Elapsed < TimeSpan.FromSeconds(120))
        {
            Assert.Equal(0L, await ActiveMembers(rogueHost.Address));
            await Task.Delay(500);
        }
        var said = rogue.Log.Split('\n').Where(l => l.Contains("certificate", StringComparison.OrdinalIgnoreCase)).Select(l => l.Trim()).Distinct().Take(5).ToList();
        output.WriteLine("the rogue silo said: " + string.Join("\n  ", said));
        Assert.NotEmpty(said);
        Assert.True(rogue.HasExited, "the rogue silo still runs after 120 s");
        Assert.NotEqual(0, rogue.ExitCode);
        Assert.Equal(0L, await ActiveMembers(rogueHost.Address));
        Assert.DoesNotContain(await cluster.Machines(), m => m.GetProperty("id").GetString() == machine);
        Step($"the edge with another CA's certificate exited ({rogue.ExitCode}) after {sw.Elapsed.TotalSeconds:0.0} s without joining");

        // The cluster is unharmed.
        using var r = await cluster.Api.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task A_client_needs_a_certificate_from_the_cluster_CA()
    {
        var ok = await Cli(cluster.Tls, "client");
        Assert.True(ok.Code == 0, $"scope machines with the cluster CA's certificate: {ok.Code}\n{ok.Out}\n{ok.Err}");
        Assert.Contains(cluster.MachineA, ok.Out, StringComparison.Ordinal);
        Step("scope machines through the core's gateway with a client certificate: listed the machines");

        var none = await Cli(null, null);
        Assert.True(none.Code == 69, $"without a certificate: {none.Code}\n{none.Out}\n{none.Err}");
        // A client whose own CA vouches for its certificate: the gateway refuses it.
        var other = await Cli(cluster.RogueTls, "rogue-client", cluster.RogueTls);
        Assert.True(other.Code == 69, $"with another CA's certificate: {other.Code}\n{other.Out}\n{other.Err}");
        Assert.Contains("cannot reach the SCOPE cluster", other.Err, StringComparison.Ordinal);
        Step("without a certificate, and with another CA's, the gateway refuses the client (exit 69)");

        // A certificate the configured CA did not sign is refused before any connection, naming the file.
        var mismatched = await Cli(cluster.RogueTls, "rogue-client");
        Assert.True(mismatched.Code == 2, $"a certificate the given CA did not sign: {mismatched.Code}\n{mismatched.Err}");
        Assert.Contains("SCOPE_TLS_CERT", mismatched.Err, StringComparison.Ordinal);
        Assert.Contains("is not trusted", mismatched.Err, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Out, string Err)> Cli(string? tlsDir, string? name, string? caDir = null)
    {
        var psi = new ProcessStartInfo(Path.Combine(cluster.Repo, "client", "bin", "scope"), ["machines", "--json"])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        psi.Environment["SCOPE_GATEWAYS"] = $"{cluster.Core.Address}:{MultiHostCluster.GatewayPort.ToString(CultureInfo.InvariantCulture)}";
        psi.Environment["SCOPE_CLUSTER_ID"] = cluster.ClusterId;
        if (tlsDir is not null)
        {
            psi.Environment["SCOPE_TLS_CA"] = Path.Combine(caDir ?? cluster.Tls, "ca.pem");
            psi.Environment["SCOPE_TLS_CERT"] = Path.Combine(tlsDir, name + ".pem");
            psi.Environment["SCOPE_TLS_KEY"] = Path.Combine(tlsDir, name + ".key");
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout, await stderr);
    }

    private Task<long> ActiveMembers(string address) => cluster.Query<long>(
        "SELECT count(*) FROM scope.cluster_members WHERE deployment_id = @d AND address = @a AND status = 3",
        ("d", cluster.ClusterId), ("a", address));

    private async Task<(long NextEvent, long Gaps, long SendDrops)> CollectorRow(string collectorId, long instance)
    {
        await using var ds = Npgsql.NpgsqlDataSource.Create(cluster.ConnectionString);
        await using var cmd = ds.CreateCommand(
            "SELECT next_event, gap_events, send_drops FROM scope.collectors WHERE machine_id = @m AND collector_id = @c AND instance = @i");
        cmd.Parameters.AddWithValue("m", cluster.MachineB);
        cmd.Parameters.AddWithValue("c", collectorId);
        cmd.Parameters.AddWithValue("i", instance);
        await using var r = await cmd.ExecuteReaderAsync();
        return await r.ReadAsync() ? (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)) : (0, 0, 0);
    }

    /// <summary>A shell in the host's namespace running write_n every 200 ms (`ip netns exec` execs it: its pid is the shell's).</summary>
    private Loop StartLoop(HostNetwork.Host host) =>
        new(Process.Start(new ProcessStartInfo("ip", ["netns", "exec", host.Namespace, "sh", "-c", $"while :; do '{WriteN}' 20 0; sleep 0.2; done"])
        {
            UseShellExecute = false,
        })!);

    /// <summary>Every scope-collector running, by pid, with its arguments.</summary>
    private static Dictionary<int, string[]> AllCollectors()
    {
        var all = new Dictionary<int, string[]>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (argv.Length > 0 && Path.GetFileName(argv[0]) == "scope-collector" && argv.Contains("--task-id"))
                    all[pid] = argv;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return all;
    }

    private static string Arg(string[] argv, string name) => argv[Array.IndexOf(argv, name) + 1];

    private async Task<string> CreateTask(string machine, int pid, string label)
    {
        var json = JsonSerializer.Serialize(new
        {
            machine_id = machine,
            probes = Probes,
            targets = new { pids = new[] { pid } },
            labels = new Dictionary<string, string> { ["host"] = label },
        });
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var r = await cluster.Api.PostAsync(new Uri("/api/v1/tasks", UriKind.Relative), content);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"POST /api/v1/tasks: {r.StatusCode} {body}\n{MultiHostCluster.Tail(cluster.CoreSilo.Log)}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    private async Task StopTask(string id)
    {
        using var r = await cluster.Api.PostAsync(new Uri($"/api/v1/tasks/{id}/stop", UriKind.Relative), null);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"stop {id}: {r.StatusCode} {body}");
        Assert.Equal("stopped", JsonDocument.Parse(body).RootElement.GetProperty("state").GetString());
    }

    private async Task<JsonElement> WaitForState(string id, string state, int seconds, Func<JsonElement, bool>? also = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonElement last = default;
        while (true)
        {
            last = await cluster.Api.GetFromJsonAsync<JsonElement>($"/api/v1/tasks/{id}");
            if (last.GetProperty("state").GetString() == state && (also is null || also(last)))
                return last;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"task {id} not {state} within {seconds} s: {last.GetRawText()}\ncore:\n{MultiHostCluster.Tail(cluster.CoreSilo.Log)}\nB:\n{MultiHostCluster.Tail(cluster.SiloB.Log)}");
            await Task.Delay(250);
        }
    }

    private async Task<List<JsonElement>> WaitForEvents(string path, Func<JsonElement, bool> until, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var page = await cluster.Api.GetFromJsonAsync<JsonElement>(path);
            var list = page.GetProperty("events").EnumerateArray().ToList();
            if (list.Any(until))
                return list;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no matching events at {path} within {seconds} s ({list.Count} events)\ncore:\n{MultiHostCluster.Tail(cluster.CoreSilo.Log)}");
            await Task.Delay(500);
        }
    }

    /// <summary>A workload that runs until the test ends, then is killed with its children.</summary>
    private sealed class Loop(Process process) : IDisposable
    {
        public int Id => process.Id;

        public void Dispose()
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
            process.Dispose();
        }
    }
}
