using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// Issue 9's monitoring tasks on a node whose configured collector is off, so that every collector
/// running is a task's: a task started through the API gets its own scope-collector (seen in /proc
/// with its --task-id), the events it collects come back labelled through /api/v1/events?task=ID, a
/// stop ends the process, a killed collector is restarted and the restart recorded, a silo killed
/// with -9 takes its collectors with it and gives them back when it starts, and a bad spec starts
/// nothing and names its field.
/// </summary>
public sealed class TaskNodeTests(TaskNodeTests.TaskNode node, ITestOutputHelper output) : IClassFixture<TaskNodeTests.TaskNode>
{
    public sealed class TaskNode : ScopeNode
    {
        protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
        {
            ["SCOPE__Collector__Enabled"] = "false",
            ["SCOPE__Tasks__HeartbeatSeconds"] = "2",
        };
    }

    private static async Task<T> Eventually<T>(Func<Task<T?>> probe, string what, int seconds = 60, Func<string>? onTimeout = null) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var v = await probe();
            if (v is not null)
                return v;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("timed out waiting for " + what + (onTimeout is null ? "" : "; last seen: " + onTimeout()));
            await Task.Delay(250);
        }
    }

    private string WriteN => Path.Combine(node.Repo, "collector-native", "build", "tests", "write_n");

    /// <summary>Each running process's argument vector, by pid, read from /proc (zombies have none).</summary>
    private static Dictionary<int, string[]> Processes()
    {
        var all = new Dictionary<int, string[]>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                continue;
            try
            {
                var argv = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (argv.Length > 0)
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

    /// <summary>The collector processes started for this node (its ingest endpoint in their arguments).</summary>
    private Dictionary<int, string[]> NodeCollectors() =>
        Processes().Where(p => p.Value.Contains(node.IngestEndpoint) && Path.GetFileName(p.Value[0]) == "scope-collector")
            .ToDictionary(p => p.Key, p => p.Value);

    /// <summary>Pids of the processes whose arguments hold <c>--task-id ID</c>.</summary>
    private static List<int> CollectorsOf(string taskId) =>
        [.. Processes().Where(p =>
        {
            var i = Array.IndexOf(p.Value, "--task-id");
            return i >= 0 && i + 1 < p.Value.Length && p.Value[i + 1] == taskId;
        }).Select(p => p.Key)];

    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var r = await node.Http.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await r.Content.ReadAsStringAsync();
        return (r.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    private async Task<JsonElement> Get(string path) => await node.Http.GetFromJsonAsync<JsonElement>(path);

    private async Task<string> CreateTask(string probes, string targets, string labels)
    {
        var (status, body) = await Post("/api/v1/tasks",
            $$"""{"machine_id": "{{node.MachineId}}", "probes": {{probes}}, "targets": {{targets}}, "labels": {{labels}}}""");
        Assert.True(status == HttpStatusCode.Created, $"POST /api/v1/tasks: {status} {body}\n{node.Log}");
        output.WriteLine("created: " + body.GetRawText());
        var id = body.GetProperty("id").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", id);
        var state = body.GetProperty("state").GetString();
        Assert.True(state is "starting" or "running", $"a new task is {state}");
        return id;
    }

    private async Task<JsonElement> WaitForState(string id, string state, Func<JsonElement, bool>? also = null, int seconds = 60)
    {
        JsonElement last = default;
        return (JsonElement)await Eventually(async () =>
        {
            last = await Get($"/api/v1/tasks/{id}");
            return last.GetProperty("state").GetString() == state && (also is null || also(last)) ? (object?)last : null;
        }, $"task {id} {state}", seconds, () => last.ValueKind == JsonValueKind.Undefined ? "nothing" : last.GetRawText() + "\n" + node.Log);
    }

    private async Task StopTask(string id)
    {
        var (status, body) = await Post($"/api/v1/tasks/{id}/stop", "");
        Assert.True(status == HttpStatusCode.OK, $"stop: {status} {body}");
        Assert.Equal("stopped", body.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_task_on_a_comm_runs_its_own_collector_labels_its_events_and_stops()
    {
        var id = await CreateTask("""["process", "syscalls"]""", """{"comm": ["write_n"]}""", """{"app": "writer", "team": "scope.e2e"}""");
        var task = await WaitForState(id, "running");
        var collectorPid = task.GetProperty("collector").GetProperty("pid").GetInt32();

        // One collector for the task: the predefined binary, its task id, tied to its silo.
        var pids = CollectorsOf(id);
        Assert.Equal([collectorPid], pids);
        var argv = Processes()[collectorPid];
        Assert.Equal("scope-collector", Path.GetFileName(argv[0]));
        Assert.Contains("--die-with-parent", argv);
        Assert.Equal("write_n", argv[Array.IndexOf(argv, "--comm") + 1]);
        Assert.Equal("task-" + id[..12], argv[Array.IndexOf(argv, "--collector-id") + 1]);
        Assert.Equal(node.MachineId, argv[Array.IndexOf(argv, "--machine-id") + 1]);

        // A program the task watches, started after the task runs.
        using (var p = Process.Start(new ProcessStartInfo(WriteN, ["37", "0"]))!)
        {
            await p.WaitForExitAsync();
            Assert.Equal(0, p.ExitCode);
            var pid = p.Id;

            var events = (JsonElement)await Eventually(async () =>
            {
                var page = await Get($"/api/v1/events?task={id}&pid={pid}&limit=1000");
                var list = page.GetProperty("events").EnumerateArray().ToList();
                return list.Any(e => e.GetProperty("type").GetString() == "process_exit") ? (object?)page.GetProperty("events") : null;
            }, "the task's events of write_n, its exit included", onTimeout: () => node.Log);
            var all = events.EnumerateArray().ToList();
            output.WriteLine($"{all.Count} events of pid {pid}");
            Assert.Equal(37, all.Count(e => e.GetProperty("type").GetString() == "syscall" && e.GetProperty("name").GetString() == "write"));
            foreach (var e in all)
            {
                Assert.Equal(id, e.GetProperty("task_id").GetString());
                Assert.Equal("writer", e.GetProperty("labels").GetProperty("app").GetString());
                Assert.Equal("scope.e2e", e.GetProperty("labels").GetProperty("team").GetString());
                Assert.Equal("task-" + id[..12], e.GetProperty("collector_id").GetString());
            }
        }

        // The machine's agent lists the collector, its version and its task; the tasks list has the task.
        var machine = (await Get("/api/v1/machines")).EnumerateArray().Single(m => m.GetProperty("id").GetString() == node.MachineId);
        output.WriteLine(machine.GetRawText());
        var agent = machine.GetProperty("agent");
        Assert.True(agent.GetProperty("cpu_count").GetInt32() >= 1);
        Assert.False(string.IsNullOrEmpty(agent.GetProperty("kernel").GetString()));
        var supervised = agent.GetProperty("collectors").EnumerateArray().Single(c => c.GetProperty("task_id").GetString() == id);
        Assert.Equal("0.1.0", supervised.GetProperty("version").GetString());
        Assert.Equal(collectorPid, supervised.GetProperty("pid").GetInt32());
        Assert.Contains((await Get("/api/v1/tasks")).EnumerateArray(), t => t.GetProperty("id").GetString() == id);

        await StopTask(id);
        await Eventually(() => Task.FromResult(CollectorsOf(id).Count == 0 ? (object?)true : null), "the task's collector to be gone", 10);
        task = await Get($"/api/v1/tasks/{id}");
        Assert.Equal("stopped", task.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, task.GetProperty("collector").GetProperty("pid").ValueKind);
        var states = task.GetProperty("transitions").EnumerateArray().Select(t => t.GetProperty("state").GetString()).Distinct().ToList();
        Assert.Equal(["pending", "starting", "running", "stopping", "stopped"], states);
        Assert.Equal(0, task.GetProperty("restarts").GetProperty("count").GetInt32());
        // A second stop changes nothing.
        await StopTask(id);
    }

    [Fact]
    public async Task A_killed_collector_is_restarted_and_the_task_records_why()
    {
        var id = await CreateTask("""["process"]""", """{"comm": ["write_n"], "pids": [1]}""", """{"case": "restart"}""");
        var task = await WaitForState(id, "running");
        var first = task.GetProperty("collector").GetProperty("pid").GetInt32();
        Assert.Equal([first], CollectorsOf(id));

        Assert.Equal(0, Native.Kill(first, 9));
        task = await WaitForState(id, "running", t =>
            t.GetProperty("restarts").GetProperty("count").GetInt32() == 1
            && t.GetProperty("collector").GetProperty("pid").ValueKind == JsonValueKind.Number
            && t.GetProperty("collector").GetProperty("pid").GetInt32() != first);
        output.WriteLine(task.GetRawText());
        var second = task.GetProperty("collector").GetProperty("pid").GetInt32();
        Assert.Equal([second], CollectorsOf(id));
        var restarts = task.GetProperty("restarts");
        Assert.Equal(9, restarts.GetProperty("last_signal").GetInt32());
        Assert.Equal(JsonValueKind.Null, restarts.GetProperty("last_exit_code").ValueKind);
        Assert.Contains("killed by signal 9", restarts.GetProperty("last_reason").GetString(), StringComparison.Ordinal);
        Assert.Contains(task.GetProperty("transitions").EnumerateArray(), t =>
            t.GetProperty("state").GetString() == "starting" && t.GetProperty("reason").GetString()!.Contains("killed by signal 9", StringComparison.Ordinal));

        await StopTask(id);
        Assert.Empty(CollectorsOf(id));
    }

    [Fact]
    public async Task A_silo_killed_with_9_takes_its_task_collectors_and_restarts_them_when_it_starts()
    {
        var id = await CreateTask("""["process", "syscalls"]""", """{"comm": ["write_n"]}""", """{"case": "silo-restart"}""");
        var before = (await WaitForState(id, "running")).GetProperty("collector").GetProperty("pid").GetInt32();

        await node.KillSiloAsync();
        // --die-with-parent: the collector notices its silo is gone and stops (within 5 s; allow more on a busy host).
        await Eventually(() => Task.FromResult(CollectorsOf(id).Count == 0 ? (object?)true : null), "the collector to die with its silo", 30);

        await node.StartSiloAsync();
        var task = await WaitForState(id, "running", t =>
            t.GetProperty("collector").GetProperty("pid").ValueKind == JsonValueKind.Number
            && t.GetProperty("collector").GetProperty("pid").GetInt32() != before);
        var after = task.GetProperty("collector").GetProperty("pid").GetInt32();
        Assert.Equal([after], CollectorsOf(id));
        Assert.Equal("silo-restart", task.GetProperty("labels").GetProperty("case").GetString());

        await StopTask(id);
        Assert.Empty(CollectorsOf(id));
    }

    /// <summary>A pid no process has now.</summary>
    private static int MissingPid()
    {
        for (int pid = 4_000_000; ; pid++)
        {
            if (!Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}"))
                return pid;
        }
    }

    [Fact]
    public async Task Refused_specs_name_the_field_and_start_nothing()
    {
        var collectorsBefore = NodeCollectors().Keys.ToHashSet();
        var tasksBefore = (await Get("/api/v1/tasks?limit=1000")).GetArrayLength();
        var m = node.MachineId;
        string Spec(string rest) => $"{{\"machine_id\": \"{m}\", {rest}}}";
        var cases = new (string Body, string Field)[]
        {
            (Spec("""  "probes": ["process"], "targets": {"comm": ["app;touch /tmp/x"]}  """), "targets.comm"),
            (Spec("""  "probes": ["process"], "targets": {"comm": ["$(id)"]}  """), "targets.comm"),
            (Spec("""  "probes": ["process"], "targets": {"comm": ["`id`"]}  """), "targets.comm"),
            (Spec("""  "probes": ["process"], "targets": {"exec_path": ["/usr/bin/env;id"]}  """), "targets.exec_path"),
            (Spec("""  "probes": ["process"], "targets": {"exec_path": ["/usr/bin/*"]}  """), "targets.exec_path"),
            (Spec("""  "probes": ["process"], "targets": {"exec_path": ["bin/app"]}  """), "targets.exec_path"),
            (Spec("\"probes\": [\"process\"], \"targets\": {\"pids\": [" + MissingPid().ToString(CultureInfo.InvariantCulture) + "]}"), "targets.pids"),
            (Spec("""  "probes": ["process", "gpu"], "targets": {"comm": ["app"]}  """), "probes"),
            (Spec("""  "probes": ["cuda"]  """), "probes"),
            (Spec("""  "probes": ["process"], "labels": {"Bad Key": "x"}  """), "labels"),
            (Spec("\"probes\": [\"process\"], \"labels\": {\"k\": \"" + new string('x', 257) + "\"}"), "labels"),
            (Spec("""  "probes": ["process"], "options": {"python_hz": 99}  """), "options.python_hz"),
            (Spec("""  "probes": ["process"], "command": "rm -rf /"  """), "command"),
            ("""{"machine_id": "$(reboot)", "probes": ["process"]}""", "machine_id"),
        };
        foreach (var (body, field) in cases)
        {
            var (status, problem) = await Post("/api/v1/tasks", body);
            output.WriteLine($"{body} -> {status} {problem}");
            Assert.True(status == HttpStatusCode.BadRequest, $"{body}: {status} {problem}");
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{body}: no error for {field} in {problem}");
        }

        // A machine nobody registered: refused before anything is created.
        var (unknownStatus, unknown) = await Post("/api/v1/tasks", """{"machine_id": "no-such-machine", "probes": ["process"], "targets": {"comm": ["app"]}}""");
        Assert.True(unknownStatus == HttpStatusCode.UnprocessableEntity, $"{unknownStatus} {unknown}");
        Assert.Contains("machine_id", unknown.GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Equal(tasksBefore, (await Get("/api/v1/tasks?limit=1000")).GetArrayLength());
        var started = NodeCollectors().Keys.Where(pid => !collectorsBefore.Contains(pid)).ToList();
        Assert.True(started.Count == 0, $"collectors started for refused specs: {string.Join(", ", started)}");
    }

    [Fact]
    public async Task Unknown_and_malformed_task_ids_are_404_and_400()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync(new Uri($"/api/v1/tasks/{Guid.NewGuid():N}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await node.Http.GetAsync(new Uri("/api/v1/tasks/not-a-task", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Post($"/api/v1/tasks/{Guid.NewGuid():N}/stop", "")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync(new Uri($"/api/v1/events?task={Guid.NewGuid():N}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await node.Http.GetAsync(new Uri("/api/v1/events?task=x';--", UriKind.Relative))).StatusCode);
    }
}
