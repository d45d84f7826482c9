using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// Issue 6's acceptance on the cluster side: a node watching "cuda_ledger" with the process and cuda
/// probes, and that program's known allocation history, exactly, through /api/v1/processes/{id}/cuda,
/// in scope.events and in scope.cuda_metrics, before and after the silo restarts. This machine has no
/// GPU: the program loads the STAND-IN CUDA runtime (collector-native/build/tests/fake-cuda), which
/// answers like the real one would with a GPU and makes its cudaMalloc calls through the real
/// driver's cuMemAlloc_v2 (Debian's libcuda 535), as the real runtime does. The real CUDA 11.8
/// runtime runs too, where its failures (no GPU) are what is checked.
/// </summary>
public sealed class CudaNodeTests(CudaNodeTests.CudaNode node) : IClassFixture<CudaNodeTests.CudaNode>
{
    public sealed class CudaNode : ScopeNode
    {
        protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
        {
            ["SCOPE__Collector__Probes"] = "process,cuda,python",
            ["SCOPE__Collector__TargetComm"] = "cuda_ledger,python3.11",
        };
    }

    private const long MiB = 1 << 20;

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

    /// <summary>Runs the program; returns its pid and the address of the allocation it leaks.</summary>
    private async Task<(int Pid, ulong Leak)> RunCudaLedger(bool standIn = true)
    {
        var build = Path.Combine(node.Repo, "collector-native", "build", "tests");
        var psi = new ProcessStartInfo(Path.Combine(build, "cuda_ledger")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (standIn)
            psi.Environment["LD_LIBRARY_PATH"] = Path.Combine(build, "fake-cuda");
        using var p = Process.Start(psi)!;
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"cuda_ledger exited {p.ExitCode}: {stderr}");
        var leak = stdout.Split('\n').Single(l => l.StartsWith("leak ", StringComparison.Ordinal)).Split(' ');
        Assert.Equal("3145728", leak[2]);
        return (p.Id, Hex(leak[1]));
    }

    private static ulong Hex(string s)
    {
        Assert.StartsWith("0x", s, StringComparison.Ordinal);
        return ulong.Parse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
    }

    private async Task<string> ProcessId(int pid)
    {
        var p = await Eventually(async () =>
        {
            var list = await node.Http.GetFromJsonAsync<JsonElement>($"/api/v1/processes?pid={pid}&machine={node.MachineId}");
            return list.EnumerateArray().FirstOrDefault(p => p.GetProperty("comm").GetString() == "cuda_ledger") is { ValueKind: JsonValueKind.Object } p
                ? (object?)p : null;
        }, "the process in /api/v1/processes");
        return ((JsonElement)p).GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> Get(string path) => await node.Http.GetFromJsonAsync<JsonElement>(path);

    /// <summary>The leaks once the exit has reached the ledger (the exit may come in a later batch than the calls).</summary>
    private async Task<JsonElement> LeaksAtExit(string id) => (JsonElement)await Eventually(async () =>
    {
        var leaks = await Get($"/api/v1/processes/{id}/cuda/leaks");
        return leaks.GetArrayLength() > 0 && leaks.EnumerateArray().All(l => l.GetProperty("reason").GetString() == "alive_at_exit") ? (object?)leaks : null;
    }, "the leaks at exit");

    private static void AssertTheOneLeak(JsonElement leaks, ulong ptr)
    {
        var leak = Assert.Single(leaks.EnumerateArray());
        Assert.Equal(3 * MiB, leak.GetProperty("bytes").GetInt64());
        Assert.Equal(ptr, Hex(leak.GetProperty("ptr").GetString()!));
        Assert.Equal("alive_at_exit", leak.GetProperty("reason").GetString());
        Assert.Equal("device", leak.GetProperty("kind").GetString());
        Assert.Equal("cudaMalloc", leak.GetProperty("api").GetString());
        var frames = leak.GetProperty("stack").EnumerateArray().ToList();
        var made = Assert.Single(frames, f => f.GetProperty("symbol").GetString()?.Contains("alloc_three_free_two", StringComparison.Ordinal) == true);
        Assert.StartsWith("0x", made.GetProperty("address").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("alloc_three_free_two+0x", made.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    private static void AssertTheSummary(JsonElement s)
    {
        Assert.True(s.GetProperty("exited").GetBoolean());
        Assert.True(s.GetProperty("history_complete").GetBoolean());
        Assert.Equal(9, s.GetProperty("operations").GetInt64());
        var calls = s.GetProperty("calls_by_api");
        Assert.Equal(3, calls.GetProperty("cudaMalloc").GetInt64());
        Assert.Equal(2, calls.GetProperty("cudaFree").GetInt64());
        Assert.Equal(4, calls.GetProperty("cudaMemcpy").GetInt64());
        // The stand-in runtime's own driver calls are part of the runtime calls, not calls of their own.
        Assert.False(calls.TryGetProperty("cuMemAlloc_v2", out _), "cuMemAlloc_v2 was counted besides cudaMalloc");
        Assert.DoesNotContain(calls.EnumerateObject(), c => c.Name.StartsWith("cuMem", StringComparison.Ordinal));

        var device = Assert.Single(s.GetProperty("devices").EnumerateArray());
        Assert.Equal(6 * MiB, device.GetProperty("peak_bytes").GetInt64());
        Assert.Equal(3 * MiB, device.GetProperty("current_bytes").GetInt64());
        Assert.Equal(3, device.GetProperty("allocations").GetInt64());
        Assert.Equal(2, device.GetProperty("frees").GetInt64());
        Assert.Equal(1, s.GetProperty("live_allocations").GetInt32());

        var copies = s.GetProperty("copies").EnumerateArray().ToDictionary(c => c.GetProperty("direction").GetString()!);
        Assert.Equal((2L, 8192L), (copies["H2D"].GetProperty("count").GetInt64(), copies["H2D"].GetProperty("bytes").GetInt64()));
        Assert.Equal((1L, 1000L), (copies["D2H"].GetProperty("count").GetInt64(), copies["D2H"].GetProperty("bytes").GetInt64()));
        Assert.Equal((1L, 512L), (copies["D2D"].GetProperty("count").GetInt64(), copies["D2D"].GetProperty("bytes").GetInt64()));
        Assert.Equal(3, copies.Count);
    }

    [Fact]
    public async Task The_leak_the_peak_and_the_copies_of_cuda_ledger_reach_the_api_and_the_tables()
    {
        var (pid, ptr) = await RunCudaLedger();
        var id = await ProcessId(pid);

        AssertTheOneLeak(await LeaksAtExit(id), ptr);
        AssertTheSummary(await Get($"/api/v1/processes/{id}/cuda"));

        var live = Assert.Single((await Get($"/api/v1/processes/{id}/cuda/allocations")).EnumerateArray());
        Assert.Equal(ptr, Hex(live.GetProperty("ptr").GetString()!));
        Assert.Empty((await Get($"/api/v1/processes/{id}/cuda/kernels")).EnumerateArray());

        // The stacks and the names of their frames are stored with the calls.
        await Eventually(async () => (await Get($"/api/v1/events?process={id}&type=cuda_stack")).GetProperty("events").GetArrayLength() == 3 ? "" : null,
            "the three allocation stacks in /api/v1/events");
        var symbols = (await Get($"/api/v1/events?process={id}&type=symbol")).GetProperty("events").EnumerateArray().ToList();
        Assert.Contains(symbols, s => s.GetRawText().Contains("alloc_three_free_two", StringComparison.Ordinal));

        // The sample taken at the exit.
        await using var db = new NpgsqlConnection(node.ConnectionString);
        await db.OpenAsync();
        var row = await Eventually(async () =>
        {
            await using var cmd = new NpgsqlCommand("""
                SELECT current_bytes, peak_bytes, h2d_bytes, d2h_bytes, d2d_bytes, operations, live_allocations
                FROM scope.cuda_metrics WHERE machine_id = $1 AND pid = $2 AND final
                """, db);
            cmd.Parameters.AddWithValue(node.MachineId);
            cmd.Parameters.AddWithValue(pid);
            await using var r = await cmd.ExecuteReaderAsync();
            return await r.ReadAsync() ? Enumerable.Range(0, 7).Select(r.GetInt64).ToArray() : null;
        }, "the final sample in scope.cuda_metrics");
        Assert.Equal(new[] { 3 * MiB, 6 * MiB, 8192L, 1000L, 512L, 9L, 1L }, row);
    }

    [Fact]
    public async Task A_restarted_silo_rebuilds_the_ledger_from_storage_without_counting_twice()
    {
        var (pid, ptr) = await RunCudaLedger();
        var id = await ProcessId(pid);
        await LeaksAtExit(id);
        // Everything stored (the API's events come from PostgreSQL) before the silo dies.
        await Eventually(async () =>
        {
            var calls = (await Get($"/api/v1/events?process={id}&type=cuda")).GetProperty("events").GetArrayLength();
            var exits = (await Get($"/api/v1/events?process={id}&type=process_exit")).GetProperty("events").GetArrayLength();
            return calls == 9 && exits == 1 ? "" : null;
        }, "the calls and the exit in storage");

        await node.KillSiloAsync();
        await node.StartSiloAsync();

        AssertTheOneLeak(await Get($"/api/v1/processes/{id}/cuda/leaks"), ptr);
        AssertTheSummary(await Get($"/api/v1/processes/{id}/cuda"));
        // From the store, not from anything the new silo was sent: the first silo read nothing back
        // for this process (it was new), so only the restarted one logs a rebuild.
        await Eventually(() => Task.FromResult(node.Log.Contains($"Process {id}: CUDA ledger and Python profile rebuilt from", StringComparison.Ordinal) ? "" : null),
            "the silo's log of the rebuild");
    }

    [Fact]
    public async Task With_the_real_runtime_each_cudaMalloc_is_one_ledger_operation_and_its_error_is_counted()
    {
        // No GPU: every call of the real CUDA 11.8 runtime fails with cudaErrorNoDevice (100), and
        // nothing is allocated, so nothing leaks.
        var (pid, ptr) = await RunCudaLedger(standIn: false);
        Assert.Equal(0UL, ptr);
        var id = await ProcessId(pid);
        var s = (JsonElement)await Eventually(async () =>
        {
            var summary = await Get($"/api/v1/processes/{id}/cuda");
            return summary.GetProperty("exited").GetBoolean() && summary.GetProperty("operations").GetInt64() == 9 ? (object?)summary : null;
        }, "the real runtime's calls and exit in the ledger");
        var calls = s.GetProperty("calls_by_api").EnumerateObject().ToDictionary(c => c.Name, c => c.Value.GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["cudaMalloc"] = 3, ["cudaFree"] = 2, ["cudaMemcpy"] = 4 }, calls);
        var errors = s.GetProperty("errors").EnumerateArray()
            .ToDictionary(e => (e.GetProperty("api").GetString()!, e.GetProperty("code").GetInt32()), e => e.GetProperty("count").GetInt64());
        Assert.Equal(3, errors[("cudaMalloc", 100)]);
        Assert.Equal(4, errors[("cudaMemcpy", 100)]);
        Assert.Equal(0, s.GetProperty("live_allocations").GetInt32());
        Assert.Empty((await Get($"/api/v1/processes/{id}/cuda/leaks")).EnumerateArray());
    }

    [Fact]
    public async Task A_leak_made_from_python_names_the_python_line_that_allocated_it()
    {
        // Debian's python3.11 runs tests/python/cuda_leak.py, which loads the STAND-IN runtime
        // through ctypes, allocates 1 and 3 MiB in leaky_alloc() and frees only the first.
        var build = Path.Combine(node.Repo, "collector-native", "build", "tests");
        var script = Path.Combine(node.Repo, "tests", "python", "cuda_leak.py");
        var psi = new ProcessStartInfo("/usr/bin/python3.11", [script]) { UseShellExecute = false, RedirectStandardOutput = true };
        psi.Environment["LD_LIBRARY_PATH"] = Path.Combine(build, "fake-cuda");
        using var p = Process.Start(psi)!;
        var said = (await p.StandardOutput.ReadToEndAsync()).Trim().Split(' ');
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        var (ptr, line) = (Hex(said[1]), int.Parse(said[2], CultureInfo.InvariantCulture));

        var listed = (JsonElement)await Eventually(async () =>
        {
            var list = await node.Http.GetFromJsonAsync<JsonElement>($"/api/v1/processes?pid={p.Id}&machine={node.MachineId}");
            return list.GetArrayLength() > 0 ? (object?)list[0] : null;
        }, "the python process in /api/v1/processes");
        var id = listed.GetProperty("id").GetString()!;
        var leak = Assert.Single((await LeaksAtExit(id)).EnumerateArray());
        Assert.Equal(ptr, Hex(leak.GetProperty("ptr").GetString()!));
        Assert.Equal(3 * MiB, leak.GetProperty("bytes").GetInt64());
        var python = leak.GetProperty("python_stack").EnumerateArray().ToList();
        Assert.Equal(["leaky_alloc", "main", "<module>"], python.Select(f => f.GetProperty("function").GetString()));
        Assert.Equal(line, python[0].GetProperty("line").GetInt32());
        Assert.All(python, f => Assert.Equal(script, f.GetProperty("file").GetString()));
    }

    [Fact]
    public async Task Bad_ids_and_parameters_are_400_and_unknown_processes_404()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await node.Http.GetAsync(new Uri("/api/v1/processes/not-an-id/cuda", UriKind.Relative))).StatusCode);
        var unknown = $"{node.MachineId}.999999.1";
        foreach (var path in new[] { "", "/allocations", "/kernels", "/leaks" })
            Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync(new Uri($"/api/v1/processes/{unknown}/cuda{path}", UriKind.Relative))).StatusCode);
        foreach (var query in new[] { "allocations?limit=0", "kernels?limit=1001", "leaks?older_than_s=-1" })
        {
            var response = await node.Http.GetAsync(new Uri($"/api/v1/processes/{unknown}/cuda/{query}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(problem.GetProperty("errors").EnumerateObject().Any(), "the problem names the parameter");
        }
    }
}
