using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Scope.Timeline.Tests;
using Xunit.Abstractions;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// Issue 8's silo side: the trace subscriber keeps a rolling Perfetto file per process, and
/// GET /api/v1/traces serves it, or builds a trace (Perfetto or JSON) from the events PostgreSQL holds.
/// The program is Debian's python3.11 running tests/python/cuda_leak.py on the STAND-IN CUDA runtime
/// (no GPU here): leaky_alloc() calls cudaMalloc through ctypes. Traces are decoded with protoc.
/// </summary>
public sealed class TraceNodeTests(TraceNodeTests.TraceNode node, ITestOutputHelper output) : IClassFixture<TraceNodeTests.TraceNode>
{
    public sealed class TraceNode : ScopeNode
    {
        protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
        {
            ["SCOPE__Collector__Probes"] = "process,syscalls,cuda,python",
            ["SCOPE__Collector__TargetComm"] = "python3.11",
            ["SCOPE__Collector__SyscallEvents"] = "all",
            ["SCOPE__Traces__FlushIntervalSeconds"] = "1",
        };
    }

    private static async Task<T> Eventually<T>(Func<Task<T?>> probe, string what, int seconds = 60) where T : class
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

    /// <summary>Runs cuda_leak.py to its end; returns the process id the API gives it.</summary>
    private async Task<string> RunLeak()
    {
        var script = Path.Combine(node.Repo, "tests", "python", "cuda_leak.py");
        var psi = new ProcessStartInfo("/usr/bin/python3.11", [script]) { UseShellExecute = false, RedirectStandardOutput = true };
        psi.Environment["LD_LIBRARY_PATH"] = Path.Combine(node.Repo, "collector-native", "build", "tests", "fake-cuda");
        using var p = Process.Start(psi)!;
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        var listed = (JsonElement)await Eventually(async () =>
        {
            var list = await node.Http.GetFromJsonAsync<JsonElement>($"/api/v1/processes?pid={p.Id}&machine={node.MachineId}");
            return list.EnumerateArray().FirstOrDefault(e => e.GetProperty("exit_time").ValueKind == JsonValueKind.String) is { ValueKind: JsonValueKind.Object } e
                ? (object?)e : null;
        }, "the exited python process in /api/v1/processes");
        return listed.GetProperty("id").GetString()!;
    }

    private async Task<(HttpStatusCode Status, byte[] Body, HttpResponseMessage Response)> Fetch(string path)
    {
        var r = await node.Http.GetAsync(new Uri(path, UriKind.Relative));
        return (r.StatusCode, await r.Content.ReadAsByteArrayAsync(), r);
    }

    /// <summary>The python thread's timeline: a derived leaky_alloc() frame encloses cudaMalloc on the same track.</summary>
    private static void AssertTheLeakNests(DecodedTrace trace, string id)
    {
        var pid = long.Parse(id.Split('.')[^2], CultureInfo.InvariantCulture);
        var process = Assert.Single(trace.Tracks.Values, t => t.Process?.Int("pid") == pid);
        Assert.Contains("python3.11", process.Name, StringComparison.Ordinal);
        Assert.Contains(pid.ToString(CultureInfo.InvariantCulture), process.Name, StringComparison.Ordinal);
        var thread = trace.ThreadTrack((int)pid);
        var slices = trace.SlicesOn(thread).ToList();
        var mallocs = slices.Where(s => s.Name == "cudaMalloc" && s.Category == "cuda").ToList();
        Assert.Equal(2, mallocs.Count);
        foreach (var m in mallocs)
        {
            Assert.Contains(slices, s => s.Category == "python.derived" && s.Name.StartsWith("leaky_alloc", StringComparison.Ordinal) && s.Encloses(m) && s.Depth < m.Depth);
        }
    }

    [Fact]
    public async Task A_process_has_a_rolling_perfetto_file_and_a_trace_rebuilt_from_storage_that_agree()
    {
        var id = await RunLeak();

        // The rolling file: complete a flush interval after the exit.
        var rolling = (byte[])await Eventually(async () =>
        {
            var (status, body, _) = await Fetch($"/api/v1/traces?process={id}");
            if (status != HttpStatusCode.OK || body.Length == 0)
                return null;
            var t = DecodedTrace.Decode(body);
            return t.Slices.Count(s => s.Name == "cudaMalloc") == 2 && t.Events.Any(e => e.Name == "exit") ? (object?)body : null;
        }, "the rolling trace with both cudaMalloc calls and the exit");
        Assert.True(File.Exists(Path.Combine(node.Repo, ".scope", "traces", id + ".pftrace")));
        var fromFile = DecodedTrace.Decode(rolling);
        output.WriteLine($"rolling: {rolling.Length} bytes, {fromFile.Slices.Count} slices, {fromFile.Chunks} chunks");
        AssertTheLeakNests(fromFile, id);

        // Rebuilt from PostgreSQL for a range: the same CUDA calls at the same times.
        var (status, body, response) = await Fetch($"/api/v1/traces?process={id}&from=2000-01-01T00:00:00Z&format=perfetto");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"scope-{id}.pftrace", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var fromStore = DecodedTrace.Decode(body);
        AssertTheLeakNests(fromStore, id);
        Assert.Equal(
            fromFile.Slices.Where(s => s.Category == "cuda").Select(s => (s.Name, s.Start, s.End)),
            fromStore.Slices.Where(s => s.Category == "cuda").Select(s => (s.Name, s.Start, s.End)));

        // The JSON fallback from storage: nested per thread, the same calls, in exact microseconds.
        (status, body, _) = await Fetch($"/api/v1/traces?process={id}&from=2000-01-01T00:00:00Z&format=json");
        Assert.Equal(HttpStatusCode.OK, status);
        using var json = new JsonTrace(body);
        json.AssertNested();
        var jsonMallocs = json.Phase("X").Where(e => JsonTrace.Name(e) == "cudaMalloc").Select(e => JsonTrace.Nanoseconds(e, "ts") / 1000).ToList();
        Assert.Equal(fromStore.Slices.Where(s => s.Name == "cudaMalloc").Select(s => s.Start / 1000), jsonMallocs);

        // A whole machine for a range holds the process too.
        var now = DateTimeOffset.UtcNow;
        var range = $"from={Uri.EscapeDataString(now.AddMinutes(-30).ToString("O", CultureInfo.InvariantCulture))}&to={Uri.EscapeDataString(now.AddMinutes(1).ToString("O", CultureInfo.InvariantCulture))}";
        (status, body, _) = await Fetch($"/api/v1/traces?machine={node.MachineId}&{range}");
        Assert.Equal(HttpStatusCode.OK, status);
        AssertTheLeakNests(DecodedTrace.Decode(body), id);
    }

    [Fact]
    public async Task Bad_requests_are_400_and_unknown_processes_404()
    {
        var now = DateTimeOffset.UtcNow;
        string Iso(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O", CultureInfo.InvariantCulture));
        foreach (var query in new[]
        {
            "",
            "format=xml&machine=m",
            "process=not-an-id",
            $"machine={node.MachineId}",
            $"machine={node.MachineId}&from={Iso(now.AddHours(-2))}&to={Iso(now)}",
            $"machine={node.MachineId}&from={Iso(now)}&to={Iso(now.AddHours(-1))}",
            $"process={node.MachineId}.1.1&machine=other",
        })
        {
            var (status, body, _) = await Fetch($"/api/v1/traces?{query}");
            Assert.True(status == HttpStatusCode.BadRequest, $"{query}: {status}");
            using var problem = JsonDocument.Parse(body);
            Assert.True(problem.RootElement.GetProperty("errors").EnumerateObject().Any(), $"{query}: the problem names the parameter");
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Fetch($"/api/v1/traces?process={node.MachineId}.999999.1")).Status);
    }
}
