using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// Issue 7's profile through the API: a node sampling Debian's python3.11 runs tests/python/hotwarm.py
/// (which measures its own CPU split between hot() and warm()) and tests/python/usdt_frames.py (whose
/// USDT calls are known exactly), and /api/v1/processes/{id}/python/profile and /python/calls must
/// agree with what the scripts say, from the records stored in PostgreSQL.
/// </summary>
public sealed class PythonNodeTests(PythonNodeTests.PythonNode node, ITestOutputHelper output) : IClassFixture<PythonNodeTests.PythonNode>
{
    public sealed class PythonNode : ScopeNode
    {
        protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
        {
            ["SCOPE__Collector__Probes"] = "process,python",
            ["SCOPE__Collector__TargetComm"] = "python3.11",
        };
    }

    private const string Python = "/usr/bin/python3.11";

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

    private string Script(string name) => Path.Combine(node.Repo, "tests", "python", name);

    /// <summary>Runs a script to its end; returns its pid and what it printed.</summary>
    private static async Task<(int Pid, string Stdout)> Run(string script, string[] args, string? pythonPath = null)
    {
        var psi = new ProcessStartInfo(Python, [script, .. args]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (pythonPath is not null)
            psi.Environment["PYTHONPATH"] = pythonPath;
        using var p = Process.Start(psi)!;
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{script} exited {p.ExitCode}: {stderr}");
        return (p.Id, stdout.Trim());
    }

    /// <summary>The process's id once it is listed with its exit.</summary>
    private async Task<string> ExitedProcessId(int pid)
    {
        var p = (JsonElement)await Eventually(async () =>
        {
            var list = await Get($"/api/v1/processes?pid={pid}&machine={node.MachineId}");
            return list.EnumerateArray().FirstOrDefault(p =>
                p.GetProperty("comm").GetString() == "python3.11" && p.GetProperty("exit_time").ValueKind == JsonValueKind.String) is { ValueKind: JsonValueKind.Object } p
                ? (object?)p : null;
        }, "the exited python process in /api/v1/processes");
        return p.GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> Get(string path) => await node.Http.GetFromJsonAsync<JsonElement>(path);

    private async Task<HttpStatusCode> Status(string path) =>
        (await node.Http.GetAsync(new Uri(path, UriKind.Relative))).StatusCode;

    private static JsonElement Function(JsonElement profile, string function, string file) =>
        profile.GetProperty("top").EnumerateArray().Single(f => f.GetProperty("function").GetString() == function && f.GetProperty("file").GetString() == file);

    [Fact]
    public async Task The_sampled_split_of_hotwarm_matches_the_split_it_measured_and_names_its_hot_lines()
    {
        var script = Script("hotwarm.py");
        var (pid, said) = await Run(script, ["3"]);
        var words = said.Split(' ');
        Assert.Equal(("hot", "warm"), (words[0], words[2]));
        double measuredHot = double.Parse(words[1], CultureInfo.InvariantCulture);
        var id = await ExitedProcessId(pid);

        // The samples reach PostgreSQL within a second or two of the exit: wait until the count holds still.
        long last = -1;
        var profile = (JsonElement)await Eventually(async () =>
        {
            var p = await Get($"/api/v1/processes/{id}/python/profile");
            long n = p.GetProperty("samples").GetInt64();
            bool settled = n >= 100 && n == last;
            last = n;
            return settled ? (object?)p : null;
        }, "the samples of hotwarm.py in storage");

        output.WriteLine($"measured: {said}");
        output.WriteLine(profile.GetRawText());
        Assert.Equal(id, profile.GetProperty("process").GetString());
        Assert.Equal("process", profile.GetProperty("source").GetString());
        Assert.False(profile.GetProperty("truncated").GetBoolean());
        Assert.Equal(0, profile.GetProperty("dropped_samples").GetInt64());
        var hot = Function(profile, "hot", script);
        var warm = Function(profile, "warm", script);
        long hotSelf = hot.GetProperty("self").GetInt64(), warmSelf = warm.GetProperty("self").GetInt64();
        double sampledHot = (double)hotSelf / (hotSelf + warmSelf);
        Assert.True(Math.Abs(sampledHot - measuredHot) <= 0.10,
            $"sampled hot share {sampledHot:F3} ({hotSelf} hot, {warmSelf} warm) vs measured {measuredHot:F3}");
        // Leaves: their inclusive is their self (neither calls Python).
        Assert.Equal(hotSelf, hot.GetProperty("inclusive").GetInt64());
        Assert.Equal(warmSelf, warm.GetProperty("inclusive").GetInt64());
        var main = Function(profile, "main", script);
        Assert.True(main.GetProperty("inclusive").GetInt64() >= hotSelf + warmSelf);

        // Most of hot()'s samples name its loop: its hottest line is one of the two marked ones.
        var marked = File.ReadAllLines(script).Select((text, i) => (text, line: i + 1)).Where(l => l.text.Contains("# hot-", StringComparison.Ordinal)).Select(l => l.line).ToList();
        Assert.Equal(2, marked.Count);
        var lines = hot.GetProperty("lines").EnumerateArray().ToList();
        Assert.Contains(lines[0].GetProperty("line").GetInt32(), marked);
        Assert.True(lines.Where(l => marked.Contains(l.GetProperty("line").GetInt32())).Sum(l => l.GetProperty("self").GetInt64()) * 2 > hotSelf,
            "most of hot()'s samples are on its marked lines");

        var folded = profile.GetProperty("folded").EnumerateArray().Select(l => l.GetString()!).ToList();
        var hotStack = $"<module> ({script});main ({script});hot ({script})";
        Assert.Contains(folded, l => l.StartsWith(hotStack + " ", StringComparison.Ordinal));
        // Folded counts add up to the samples.
        Assert.Equal(profile.GetProperty("samples").GetInt64(), folded.Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)));

        var tree = profile.GetProperty("tree");
        Assert.Equal("all", tree.GetProperty("name").GetString());
        Assert.Equal(profile.GetProperty("samples").GetInt64(), tree.GetProperty("inclusive").GetInt64());
        Assert.Contains(tree.GetProperty("children").EnumerateArray(), c => c.GetProperty("name").GetString() == $"<module> ({script})");

        // The same stacks as text for flamegraph.pl.
        var text = await node.Http.GetAsync(new Uri($"/api/v1/processes/{id}/python/profile?format=folded", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, text.StatusCode);
        Assert.Equal("text/plain", text.Content.Headers.ContentType?.MediaType);
        Assert.Equal(folded, (await text.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // A range before the process holds no samples.
        var before = await Get($"/api/v1/processes/{id}/python/profile?to=2000-01-01T00:00:00Z");
        Assert.Equal((0L, 0), (before.GetProperty("samples").GetInt64(), before.GetProperty("folded").GetArrayLength()));
    }

    [Fact]
    public async Task The_profile_the_process_keeps_is_the_stored_one_and_survives_a_silo_restart()
    {
        var (pid, _) = await Run(Script("hotwarm.py"), ["1"]);
        var id = await ExitedProcessId(pid);
        const string everything = "from=2000-01-01T00:00:00Z";

        // The grain counts a sample when its batch arrives, storage when the batch is committed: wait
        // until both hold the same, non-empty, profile.
        var kept = (JsonElement)await Eventually(async () =>
        {
            var p = await Get($"/api/v1/processes/{id}/python/profile");
            var s = await Get($"/api/v1/processes/{id}/python/profile?{everything}");
            return p.GetProperty("samples").GetInt64() >= 30 && Folded(p).SequenceEqual(Folded(s)) ? (object?)p : null;
        }, "the same profile in the grain and in storage");
        Assert.Equal("process", kept.GetProperty("source").GetString());
        Assert.True(kept.GetProperty("history_complete").GetBoolean());
        var stored = await Get($"/api/v1/processes/{id}/python/profile?{everything}");
        Assert.Equal("store", stored.GetProperty("source").GetString());
        Assert.Equal(kept.GetProperty("top").GetRawText(), stored.GetProperty("top").GetRawText());
        Assert.Equal(kept.GetProperty("tree").GetRawText(), stored.GetProperty("tree").GetRawText());

        await node.KillSiloAsync();
        int logBefore = node.Log.Length;
        await node.StartSiloAsync();

        // The new silo's grain rebuilds the profile from storage: every sample once, none twice.
        var rebuilt = await Get($"/api/v1/processes/{id}/python/profile");
        Assert.Equal("process", rebuilt.GetProperty("source").GetString());
        Assert.Equal(Folded(kept), Folded(rebuilt));
        Assert.Equal(kept.GetProperty("samples").GetInt64(), rebuilt.GetProperty("samples").GetInt64());
        await Eventually(() => Task.FromResult(node.Log[logBefore..].Contains($"Process {id}: CUDA ledger and Python profile rebuilt from", StringComparison.Ordinal) ? "" : null),
            "the restarted silo's log of the rebuild");
    }

    private static List<string> Folded(JsonElement profile) =>
        [.. profile.GetProperty("folded").EnumerateArray().Select(l => l.GetString()!)];

    [Fact]
    public async Task The_exact_calls_of_usdt_frames_are_the_ones_it_makes()
    {
        // The collector attaches the USDT probes to each python3.11 it sees exec, a few ms after the
        // exec; usdt_frames.py is done in about 20 ms and, run as it is, usually exits first (libbpf
        // logs "failed to create uprobe ... No such process" and no call is reported). A sitecustomize
        // that sleeps before the script starts gives the attach time without changing the script.
        var script = Script("usdt_frames.py");
        var delay = Directory.CreateTempSubdirectory("scope-py-delay-").FullName;
        await File.WriteAllTextAsync(Path.Combine(delay, "sitecustomize.py"), "import time\ntime.sleep(1.0)\n");
        int pid;
        string said;
        try
        {
            (pid, said) = await Run(script, [], pythonPath: delay);
        }
        finally
        {
            Directory.Delete(delay, recursive: true);
        }
        Assert.Equal("gen 5 <lambda> 3 co 2", said);
        var id = await ExitedProcessId(pid);

        var expected = new Dictionary<string, long> { ["gen"] = 5, ["<lambda>"] = 3, ["co"] = 2 };
        Dictionary<string, long>? last = null;
        string lastRaw = "";
        var calls = (JsonElement)await Eventually(async () =>
        {
            var c = await Get($"/api/v1/processes/{id}/python/calls");
            lastRaw = c.GetRawText();
            last = c.EnumerateArray()
                .Where(x => x.GetProperty("file").GetString() == script && expected.ContainsKey(x.GetProperty("function").GetString()!))
                .ToDictionary(x => x.GetProperty("function").GetString()!, x => x.GetProperty("count").GetInt64());
            return last.Count == 3 && last.All(kv => expected[kv.Key] == kv.Value) ? (object?)c : null;
        }, "gen 5 <lambda> 3 co 2 in /python/calls", onTimeout: () => lastRaw);
        Assert.Equal(expected, last);
        output.WriteLine(calls.GetRawText());

        var list = calls.EnumerateArray().ToList();
        // By total time, most first; the mean is the total over the count.
        Assert.Equal(list.Select(c => c.GetProperty("total_ns").GetUInt64()).OrderDescending(), list.Select(c => c.GetProperty("total_ns").GetUInt64()));
        foreach (var c in list)
        {
            ulong total = c.GetProperty("total_ns").GetUInt64(), max = c.GetProperty("max_ns").GetUInt64();
            long count = c.GetProperty("count").GetInt64();
            Assert.Equal(total / (ulong)count, c.GetProperty("mean_ns").GetUInt64());
            Assert.True(max <= total && max > 0, c.GetRawText());
        }
    }

    [Fact]
    public async Task Bad_ids_and_parameters_are_400_and_unknown_processes_404()
    {
        foreach (var path in new[] { "profile", "calls" })
        {
            Assert.Equal(HttpStatusCode.BadRequest, await Status($"/api/v1/processes/not-an-id/python/{path}"));
            Assert.Equal(HttpStatusCode.NotFound, await Status($"/api/v1/processes/{node.MachineId}.999999.1/python/{path}"));
        }
        var unknown = $"{node.MachineId}.999999.1";
        foreach (var query in new[]
        {
            "profile?format=xml",
            "profile?limit=0",
            "profile?from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z",
            "calls?from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z",
            "calls?limit=1001",
        })
        {
            var response = await node.Http.GetAsync(new Uri($"/api/v1/processes/{unknown}/python/{query}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").EnumerateObject().Any(), "the problem names the parameter: " + query);
        }
    }
}
