using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using NetMQ;
using NetMQ.Sockets;
using Npgsql;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// Issue 3's acceptance: a program that makes exactly 137 writes and exits with 3 shows up, exactly,
/// in the API and in the tables, labelled with the machine id; forged and foreign batches are
/// refused and counted while the node stays up.
/// </summary>
[Collection("node")]
public sealed class NodeEndToEndTests(ScopeNode node)
{
    private static async Task<T> Eventually<T>(Func<Task<T?>> probe, string what, int seconds = 40) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var v = await probe();
            if (v is not null)
                return v;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(250);
        }
    }

    private async Task<int> RunWriteN(int n, int code)
    {
        var exe = Path.Combine(node.Repo, "collector-native", "build", "tests", "write_n");
        using var p = Process.Start(new ProcessStartInfo(exe, [n.ToString(System.Globalization.CultureInfo.InvariantCulture), code.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
        await p.WaitForExitAsync();
        Assert.Equal(code, p.ExitCode);
        return p.Id;
    }

    [Fact]
    public async Task Exactly_137_writes_and_exit_code_3_reach_the_api_and_the_tables()
    {
        var pid = await RunWriteN(137, 3);

        var process = await Eventually(async () =>
        {
            var list = await node.Http.GetFromJsonAsync<JsonElement>($"/api/v1/processes?pid={pid}&machine={node.MachineId}");
            return list.EnumerateArray().FirstOrDefault(p => p.GetProperty("exit_code").ValueKind == JsonValueKind.Number) is { ValueKind: JsonValueKind.Object } p
                ? (object?)p : null;
        }, "the process with its exit code in /api/v1/processes");
        var proc = (JsonElement)process;
        Assert.Equal(3, proc.GetProperty("exit_code").GetInt32());
        Assert.Equal(node.MachineId, proc.GetProperty("machine_id").GetString());
        Assert.Equal("write_n", proc.GetProperty("comm").GetString());
        Assert.Equal("137", proc.GetProperty("argv")[1].GetString());
        var id = proc.GetProperty("id").GetString()!;

        var write = await Eventually(async () =>
        {
            var stats = await node.Http.GetFromJsonAsync<JsonElement>($"/api/v1/processes/{id}/syscalls");
            var w = stats.EnumerateArray().FirstOrDefault(s => s.GetProperty("name").GetString() == "write");
            return w.ValueKind == JsonValueKind.Object && w.GetProperty("final").GetBoolean() ? (object?)w : null;
        }, "the final write count in /api/v1/processes/{id}/syscalls");
        Assert.Equal(137, ((JsonElement)write).GetProperty("count").GetInt64());
        Assert.Equal(0, ((JsonElement)write).GetProperty("errors").GetInt64());

        // The same facts, straight from the tables.
        await using var db = new NpgsqlConnection(node.ConnectionString);
        await db.OpenAsync();
        await using (var cmd = new NpgsqlCommand(
            "SELECT p.exit_code, s.count FROM scope.processes p JOIN scope.syscall_stats s USING (machine_id, pid, start_ns) " +
            "WHERE p.machine_id = $1 AND p.pid = $2 AND s.nr = 1", db))
        {
            cmd.Parameters.AddWithValue(node.MachineId);
            cmd.Parameters.AddWithValue(pid);
            await using var r = await cmd.ExecuteReaderAsync();
            Assert.True(await r.ReadAsync(), "no row for the process in scope.processes/scope.syscall_stats");
            Assert.Equal(3, r.GetInt32(0));
            Assert.Equal(137, r.GetInt64(1));
            Assert.False(await r.ReadAsync());
        }
        await using (var cmd = new NpgsqlCommand(
            "SELECT count(*) FROM scope.events WHERE machine_id = $1 AND pid = $2 AND type = 3", db))
        {
            cmd.Parameters.AddWithValue(node.MachineId);
            cmd.Parameters.AddWithValue(pid);
            Assert.Equal(1L, (long)(await cmd.ExecuteScalarAsync())!);
        }

        // And the raw events, through the API, carry the machine id and the exit.
        var events = await node.Http.GetFromJsonAsync<JsonElement>($"/api/v1/events?process={id}");
        var exit = events.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "process_exit");
        Assert.Equal(3, exit.GetProperty("exit_code").GetInt32());
        Assert.Equal(node.MachineId, exit.GetProperty("machine_id").GetString());
    }

    [Fact]
    public async Task Machines_lists_this_machine_with_its_collector_and_counters()
    {
        var machine = await Eventually(async () =>
        {
            var list = await node.Http.GetFromJsonAsync<JsonElement>("/api/v1/machines");
            var m = list.EnumerateArray().FirstOrDefault(m => m.GetProperty("id").GetString() == node.MachineId);
            // Another test may have just killed the collector: its restarted run counts from zero
            // until its first batch lands, so wait for a running collector that has delivered.
            var running = m.ValueKind == JsonValueKind.Object && m.GetProperty("collectors").EnumerateArray().Any(c =>
                c.GetProperty("id").GetString() == "local" && c.GetProperty("state").GetString() == "running" &&
                c.GetProperty("events").GetInt64() > 0);
            return running ? (object?)m : null;
        }, "this machine in /api/v1/machines with a running collector that has delivered events");
        var m = (JsonElement)machine;
        Assert.Equal(Environment.MachineName, m.GetProperty("hostname").GetString());
        Assert.False(string.IsNullOrEmpty(m.GetProperty("versions").GetProperty("kernel").GetString()));
        var c = m.GetProperty("collectors").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "local");
        Assert.Equal("0.1.0", c.GetProperty("version").GetString());
        Assert.Equal("running", c.GetProperty("state").GetString());
        Assert.True(c.GetProperty("events").GetInt64() > 0);
        foreach (var key in new[] { "drops", "gaps", "rejected", "last_seen" })
            Assert.True(c.TryGetProperty(key, out _), $"collector lacks {key}");
    }

    [Fact]
    public async Task A_killed_collector_is_marked_gone_keeps_what_arrived_and_is_restarted()
    {
        await using var db = new NpgsqlConnection(node.ConnectionString);
        await db.OpenAsync();
        async Task<List<(long Instance, string State, long Persisted)>> Runs()
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT instance, state, persisted_events FROM scope.collectors WHERE machine_id = $1 AND collector_id = 'local' ORDER BY first_seen", db);
            cmd.Parameters.AddWithValue(node.MachineId);
            await using var r = await cmd.ExecuteReaderAsync();
            var runs = new List<(long, string, long)>();
            while (await r.ReadAsync())
                runs.Add((r.GetInt64(0), r.GetString(1), r.GetInt64(2)));
            return runs;
        }
        var before = await Eventually(async () => (await Runs()) is { Count: > 0 } runs && runs[^1].Persisted > 0 ? runs : null, "a run of the local collector with events");
        var victim = before[^1];

        var pid = Process.GetProcessesByName("scope-collector")
            .Single(p => File.ReadAllText($"/proc/{p.Id}/cmdline").Contains(node.IngestEndpoint, StringComparison.Ordinal)).Id;
        Process.GetProcessById(pid).Kill(); // SIGKILL: no final batch

        List<(long Instance, string State, long Persisted)> last = [];
        var after = await Eventually(async () =>
        {
            var runs = last = await Runs();
            var old = runs.Single(r => r.Instance == victim.Instance);
            return old.State == "gone" && runs.Count > before.Count && runs[^1].State == "running" ? runs : null;
        }, "the killed run marked gone and a new run started").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result
            : throw new TimeoutException($"runs: {string.Join("; ", last)}\nlog:\n{string.Join('\n', node.Log.Split('\n').Where(l => l.Contains("ollector", StringComparison.Ordinal) || l.Contains("fail", StringComparison.Ordinal) || l.Contains("warn", StringComparison.Ordinal)).TakeLast(40))}"),
            TaskScheduler.Default);
        var gone = after.Single(r => r.Instance == victim.Instance);
        Assert.True(gone.Persisted >= victim.Persisted, "events that arrived from the killed collector were lost");
        await Eventually(async () => (await node.Http.GetAsync(new Uri("/health", UriKind.Relative))).IsSuccessStatusCode ? "" : null, "health after the restart");
    }

    private static byte[] GoldenFrame()
    {
        var hex = File.ReadAllText(Path.Combine(ScopeNode.FindRepo(), "tests", "golden", "v1", "batch.frame"));
        return Convert.FromHexString(string.Concat(hex.Where(Uri.IsHexDigit)));
    }

    private async Task<JsonElement> Collector()
    {
        var list = await node.Http.GetFromJsonAsync<JsonElement>("/api/v1/machines");
        return list.EnumerateArray().Single(m => m.GetProperty("id").GetString() == node.MachineId)
            .GetProperty("collectors").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "local");
    }

    private async Task<long> Rejected(string reason)
    {
        var c = await Collector();
        return c.GetProperty("rejected_by_reason").TryGetProperty(reason, out var v) ? v.GetInt64() : 0;
    }

    [Fact]
    public async Task Forged_mac_and_unknown_version_are_refused_and_counted_and_the_silo_stays_up()
    {
        await Eventually(async () => (await node.Http.GetFromJsonAsync<JsonElement>("/api/v1/machines"))
            .EnumerateArray().Any(m => m.GetProperty("id").GetString() == node.MachineId) ? "" : null, "this machine");
        var badMacBefore = await Rejected("bad_mac");
        var versionBefore = await Rejected("unsupported_version");
        var eventsBefore = (await Collector()).GetProperty("events").GetInt64();

        // A frame claiming to come from the node's own collector, for its machine, signed with the wrong secret.
        var forged = GoldenFrame();
        WriteId(forged, 96, node.MachineId);
        WriteId(forged, 128, "local");
        using var auth = new Scope.Events.BatchAuthenticator("not-the-collector-secret"u8);
        auth.Sign(forged);
        var unknownVersion = (byte[])forged.Clone();
        unknownVersion[4] = 99;

        using (var push = new PushSocket())
        {
            push.Options.Linger = TimeSpan.FromSeconds(2);
            push.Connect(node.IngestEndpoint);
            for (var i = 0; i < 5; i++)
                push.SendFrame(forged);
            for (var i = 0; i < 3; i++)
                push.SendFrame(unknownVersion);
        }

        await Eventually(async () => await Rejected("bad_mac") - badMacBefore >= 5 && await Rejected("unsupported_version") - versionBefore >= 3 ? "" : null,
            "the rejections to be counted");
        Assert.Equal(5, await Rejected("bad_mac") - badMacBefore);
        Assert.Equal(3, await Rejected("unsupported_version") - versionBefore);
        var metrics = await node.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("scope_ingest_rejected_total{otel_scope_name=\"Scope.Silo\",reason=\"bad_mac\"}", metrics, StringComparison.Ordinal);

        // Still up, still taking real batches, and nothing forged was stored.
        Assert.True(node.SiloRunning);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync(new Uri("/health", UriKind.Relative))).StatusCode);
        await Eventually(async () => (await Collector()).GetProperty("events").GetInt64() > eventsBefore ? "" : null, "more real events");
        await using var db = new NpgsqlConnection(node.ConnectionString);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM scope.events WHERE machine_id = $1 AND comm = 'cat' AND pid = 10", db);
        cmd.Parameters.AddWithValue(node.MachineId);
        Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
    }

    private static void WriteId(byte[] frame, int offset, string id)
    {
        Array.Clear(frame, offset, 32);
        System.Text.Encoding.ASCII.GetBytes(id, frame.AsSpan(offset, 32));
    }
}
