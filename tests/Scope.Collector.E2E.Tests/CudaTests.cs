using System.Diagnostics;
using System.Text.Json;

namespace Scope.Collector.E2E.Tests;

/// <summary>
/// CUDA runtime probes on real processes. The real runtime is Debian's CUDA 11.8 libcudart (no GPU
/// here: its calls return 100, cudaErrorNoDevice); the success path uses a STAND-IN runtime built by
/// the tests (collector-native/tests/helpers/fake_cudart.c), with the real one's ABI and SONAME,
/// found through LD_LIBRARY_PATH.
/// </summary>
[Collection("collector")]
public sealed class CudaTests
{
    private static string Build(string path) => Path.Combine(Path.GetDirectoryName(CollectorRun.BinaryPath)!, path);

    private static string CudaCalls => Build("tests/cuda_calls");

    /// <summary>cuda_calls on the real CUDA 11.8 runtime (its calls fail: no GPU), stdout read by the test.</summary>
    private static ProcessStartInfo RealRuntime(params string[] args) =>
        new(CudaCalls, args) { RedirectStandardOutput = true, UseShellExecute = false };

    private static async Task<CollectorRun> Trace(string? libraryPath, params string[] programArgs)
    {
        var psi = CollectorRun.StartInfo(["--probes", "cuda", "--", CudaCalls, .. programArgs]);
        if (libraryPath is not null)
            psi.Environment["LD_LIBRARY_PATH"] = libraryPath;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return new CollectorRun { ExitCode = p.ExitCode, Stdout = await stdout, Stderr = await stderr };
    }

    private static List<JsonElement> Calls(CollectorRun run, string api) =>
        [.. run.Events.Where(e => e.Type() == "cuda" && e.Str("api") == api)];

    private static ulong Hex(JsonElement e, string name) =>
        Convert.ToUInt64(e.GetProperty(name).GetString()![2..], 16);

    private static int[] Dim(JsonElement e, string name) => [.. e.GetProperty(name).EnumerateArray().Select(v => v.GetInt32())];

    [Fact]
    public async Task The_real_runtime_without_a_gpu_every_call_is_seen_with_its_arguments_and_error()
    {
        var run = await Trace(libraryPath: null);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("ok 38", run.Stdout, StringComparison.Ordinal);

        // 5 x cudaMalloc(1 MiB): 5 events, 1048576 bytes, cudaErrorNoDevice, nothing allocated.
        var mallocs = Calls(run, "cudaMalloc");
        Assert.Equal(5, mallocs.Count);
        Assert.All(mallocs, m =>
        {
            Assert.Equal(1048576, m.Long("bytes"));
            Assert.Equal(100, m.Long("ret"));
            Assert.Equal(0UL, Hex(m, "ptr"));
            Assert.True(m.Long("dur_ns") > 0);
        });
        Assert.Equal(4096, Assert.Single(Calls(run, "cudaMallocHost")).Long("bytes"));
        Assert.Equal(8192, Assert.Single(Calls(run, "cudaMallocManaged")).Long("bytes"));
        var async = Assert.Single(Calls(run, "cudaMallocAsync"));
        Assert.Equal(16384, async.Long("bytes"));
        Assert.Equal(5UL, Hex(async, "stream"));
        Assert.Equal(16385, Assert.Single(Calls(run, "cudaMallocAsync_ptsz")).Long("bytes"));

        // cudaMemcpy of 100..104 bytes with each kind, named as the runtime's enum has it.
        var copies = Calls(run, "cudaMemcpy");
        Assert.Equal([100, 101, 102, 103, 104], copies.Select(c => (int)c.Long("bytes")));
        Assert.Equal([0, 1, 2, 3, 4], copies.Select(c => (int)c.Long("kind")));
        Assert.Equal(["H2H", "H2D", "D2H", "D2D", "Default"], copies.Select(c => c.Str("kind_name")!));
        var ptds = Assert.Single(Calls(run, "cudaMemcpy_ptds"));
        Assert.Equal((200, "H2D"), ((int)ptds.Long("bytes"), ptds.Str("kind_name")));
        var ca = Assert.Single(Calls(run, "cudaMemcpyAsync"));
        Assert.Equal((300, "D2H", 7UL), ((int)ca.Long("bytes"), ca.Str("kind_name"), Hex(ca, "stream")));
        Assert.Equal("D2D", Assert.Single(Calls(run, "cudaMemcpyAsync_ptsz")).Str("kind_name"));

        // Launches: the stub named by its registration, grid and block from the dim3 registers.
        var launches = Calls(run, "cudaLaunchKernel");
        Assert.Equal(2, launches.Count);
        var launch = launches[0];
        Assert.Equal("vecAdd(float*, float*, float*, int)", launch.Str("kernel"));
        Assert.Equal([64, 2, 1], Dim(launch, "grid"));
        Assert.Equal([256, 1, 1], Dim(launch, "block"));
        Assert.Equal(1024, launch.Long("shared_mem"));
        Assert.Equal(9UL, Hex(launch, "stream"));
        var ptsz = Assert.Single(Calls(run, "cudaLaunchKernel_ptsz"));
        Assert.Equal("scale(float*, float)", ptsz.Str("kernel"));
        Assert.Equal([256, 1, 1], Dim(ptsz, "grid"));
        var exc = Assert.Single(Calls(run, "cudaLaunchKernelExC"));
        Assert.Equal([8, 4, 2], Dim(exc, "grid"));
        Assert.Equal([32, 2, 1], Dim(exc, "block"));
        Assert.Equal(512L, exc.Long("shared_mem"));
        Assert.Equal("vecAdd(float*, float*, float*, int)", exc.Str("kernel"));
        Assert.Equal(0xdeadUL, Hex(Assert.Single(Calls(run, "cudaGraphLaunch")), "graph"));
        Assert.Single(Calls(run, "cudaDeviceSynchronize"));
        Assert.Equal(0xdUL, Hex(Assert.Single(Calls(run, "cudaStreamSynchronize")), "stream"));
        Assert.Single(Calls(run, "cudaStreamSynchronize_ptsz"));
        Assert.Equal(5, Calls(run, "cudaFree").Count);
        Assert.Single(Calls(run, "cudaFreeHost"));
        Assert.Single(Calls(run, "cudaFreeAsync"));
        Assert.Single(Calls(run, "cudaFreeAsync_ptsz"));

        // Every call failed as the runtime said (no device), and none was missed: 34 calls, 4 registrations.
        var calls = run.Events.Where(e => e.Type() == "cuda").ToList();
        Assert.Equal(34, calls.Count);
        Assert.All(calls, c => Assert.Equal(100, c.Long("ret")));
        // cudaSetDevice(1) failed, so every call stays on the default device, 0: the collector knows
        // it is the default because it traced the program from its first instruction.
        Assert.Equal(1, Assert.Single(Calls(run, "cudaSetDevice")).Long("device"));
        Assert.All(calls.Where(c => c.Str("api") != "cudaSetDevice"), c => Assert.Equal(0, c.Long("device")));
        var registers = run.Events.Where(e => e.Type() == "cuda_register").ToList();
        Assert.Equal(["fat_binary", "function", "function", "function"], registers.Select(r => r.Str("kind")!));
        Assert.Equal("_Z6vecAddPfS_S_i", registers[1].Str("name"));
        Assert.Equal(Hex(launch, "func"), Hex(registers[1], "host_fun"));

        // A 300-character name in a page the uprobe could not read (not faulted in yet): the
        // collector read it from the process. The record holds its first 255 bytes and says so;
        // the launch carries the whole demangled name.
        var longName = new string('k', 300);
        var longReg = registers[3];
        Assert.Equal("_Z300" + longName[..250], longReg.Str("name"));
        Assert.True(longReg.GetProperty("name_truncated").GetBoolean());
        Assert.Equal(longName + "(float*)", launches[1].Str("kernel"));
        Assert.Equal(Hex(longReg, "host_fun"), Hex(launches[1], "func"));
    }

    [Fact]
    public async Task The_stand_in_runtime_shows_the_success_path_pointers_kinds_and_kernel_names()
    {
        var run = await Trace(Build("tests/fake-cuda"));
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("ok 40", run.Stdout, StringComparison.Ordinal);
        var calls = run.Events.Where(e => e.Type() == "cuda").ToList();
        Assert.Equal(35, calls.Count);
        Assert.All(calls, c => Assert.Equal(0, c.Long("ret")));

        // The stand-in hands out 1 MiB-aligned fake device addresses; each free names one of them.
        var allocated = Calls(run, "cudaMalloc").Select(m => Hex(m, "ptr")).ToList();
        Assert.Equal(Enumerable.Range(0, 5).Select(i => 0x7f0000000000UL + ((ulong)i << 20)), allocated);
        Assert.Equal(allocated, Calls(run, "cudaFree").Select(f => Hex(f, "ptr")));
        Assert.Equal(["H2H", "H2D", "D2H", "D2D", "Default"], Calls(run, "cudaMemcpy").Select(c => c.Str("kind_name")!));

        var launches = Calls(run, "cudaLaunchKernel");
        Assert.Equal(3, launches.Count);
        var launch = launches[0];
        Assert.Equal("vecAdd(float*, float*, float*, int)", launch.Str("kernel"));
        Assert.Equal([64, 2, 1], Dim(launch, "grid"));
        Assert.Equal([256, 1, 1], Dim(launch, "block"));

        // As nvcc 12+ stubs do, the second launch passes the handle __cudaGetKernel gave for the
        // scale stub, not the stub: it is named through that handle.
        var registers = run.Events.Where(e => e.Type() == "cuda_register").ToList();
        Assert.Equal(["fat_binary", "function", "function", "function", "kernel_handle"], registers.Select(r => r.Str("kind")!));
        var handle = registers[4];
        Assert.Equal(Hex(registers[2], "host_fun"), Hex(handle, "host_fun"));
        Assert.Equal("scale(float*, float)", handle.Str("kernel"));
        var byHandle = launches[2];
        Assert.Equal(Hex(handle, "handle"), Hex(byHandle, "func"));
        Assert.NotEqual(Hex(handle, "host_fun"), Hex(byHandle, "func"));
        Assert.Equal("scale(float*, float)", byHandle.Str("kernel"));
        Assert.Equal([2, 2, 2], Dim(byHandle, "grid"));

        // cudaSetDevice(1) succeeded between the allocations and the copies: each call names its device.
        Assert.All(Calls(run, "cudaMalloc"), m => Assert.Equal(0, m.Long("device")));
        Assert.Equal(1, Assert.Single(Calls(run, "cudaSetDevice")).Long("device"));
        Assert.All(Calls(run, "cudaMemcpy"), c => Assert.Equal(1, c.Long("device")));
        Assert.Equal(1, launch.Long("device"));
    }

    [Fact]
    public async Task Two_hundred_runs_that_register_and_launch_right_after_dlopen_miss_nothing()
    {
        // Picked by comm: each run is stopped at exec until its probes are attached.
        using var collector = await AttachedCollector.StartAsync("--probes", "cuda", "--comm", "cuda_calls");
        var pids = new List<int>();
        for (var i = 0; i < 200; i++)
        {
            using var p = Process.Start(RealRuntime())!;
            Assert.Equal("ok 38", (await p.StandardOutput.ReadToEndAsync()).Trim());
            await p.WaitForExitAsync();
            pids.Add(p.Id);
        }
        var events = await collector.StopAsync();
        foreach (var pid in pids)
        {
            Assert.Equal(34, events.Count(e => e.Pid() == pid && e.Type() == "cuda"));
            Assert.Equal(4, events.Count(e => e.Pid() == pid && e.Type() == "cuda_register"));
            Assert.Equal(["vecAdd(float*, float*, float*, int)", new string('k', 300) + "(float*)"],
                events.Where(e => e.Pid() == pid && e.Type() == "cuda" && e.Str("api") == "cudaLaunchKernel").Select(e => e.Str("kernel")));
        }
    }

    [Fact]
    public async Task Children_forked_without_exec_that_call_at_once_miss_nothing()
    {
        // Uprobes are per process and a fork does not exec: each child is stopped in the kernel at
        // fork until it has probes of its own (without that, none of these calls is seen).
        var run = await Trace(libraryPath: null, "--fork", "50");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("forked 50", run.Stdout, StringComparison.Ordinal);
        var mallocs = Calls(run, "cudaMalloc");
        Assert.Equal(Enumerable.Range(4096, 50), mallocs.Select(m => (int)m.Long("bytes")).Order());
        Assert.Equal(50, mallocs.Select(m => m.Pid()).Distinct().Count());
        Assert.DoesNotContain(mallocs, m => m.Pid() == run.Events.First(e => e.Type() == "cuda_register").Pid());
    }

    [Fact]
    public async Task A_runtime_lacking_some_functions_gets_the_probes_it_has_and_a_warning_for_the_rest()
    {
        // A stand-in without cudaMallocManaged and cudaGraphLaunch, as another CUDA version might be.
        var run = await Trace(Build("tests/partial-cuda"));
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("ok 38", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("libcudart.so.11.0 lacks cudaMallocManaged, cudaGraphLaunch; those calls are not traced", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(33, run.Events.Count(e => e.Type() == "cuda"));
        Assert.Equal(5, Calls(run, "cudaMalloc").Count);
        Assert.Empty(Calls(run, "cudaMallocManaged"));
        Assert.Equal("vecAdd(float*, float*, float*, int)", Calls(run, "cudaLaunchKernel")[0].Str("kernel"));
    }

    [Fact]
    public async Task A_process_attached_after_its_registrations_has_its_launches_named_from_elf_symbols()
    {
        var psi = RealRuntime("--late");
        psi.RedirectStandardInput = true;
        using var target = Process.Start(psi)!;
        try
        {
            Assert.Equal("registered", await target.StandardOutput.ReadLineAsync());
            using var collector = await AttachedCollector.StartAsync("--probes", "cuda", "--pid",
                target.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Empty(collector.Before);
            await target.StandardInput.WriteLineAsync("go");
            target.StandardInput.Close();
            Assert.Equal("launched", await target.StandardOutput.ReadLineAsync());
            await target.WaitForExitAsync();
            var events = await collector.StopAsync();

            // No registration was seen; the stub's ELF symbol (nvcc names it after its kernel) names it.
            var launch = Assert.Single(events, e => e.Type() == "cuda");
            Assert.Equal("vecAdd(float*, float*, float*, int)", launch.Str("kernel"));
            var named = Assert.Single(events, e => e.Type() == "cuda_register");
            Assert.Equal("elf_symbol", named.Str("kind"));
            Assert.Equal("_Z6vecAddPfS_S_i", named.Str("name"));
            Assert.Equal(Hex(launch, "func"), Hex(named, "host_fun"));
            // Attached while running: which device its thread chose before is unknown, and not guessed.
            Assert.False(launch.TryGetProperty("device", out _));
        }
        finally
        {
            if (!target.HasExited)
                target.Kill();
        }
    }

    [Fact]
    public async Task A_library_with_a_runtimes_name_but_none_of_its_functions_is_reported_and_skipped()
    {
        var run = await Trace(Build("tests/no-symbols"));
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("ok 0", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("has none of the CUDA runtime functions SCOPE probes; not traced", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Events, e => e.Type() is "cuda" or "cuda_register");
    }

    [Fact]
    public async Task A_target_without_cuda_is_reported_and_traced_if_it_loads_a_runtime_later()
    {
        // A process already running, not using CUDA: the collector says so, and keeps its other events.
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30"))!;
        try
        {
            using var collector = await AttachedCollector.StartAsync("--probes", "process,cuda", "--pid",
                sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal([$"scope-collector: pid {sleeper.Id} has no CUDA runtime loaded; its calls are traced if it loads one later"],
                collector.Before);
            sleeper.Kill();
            await sleeper.WaitForExitAsync();
            var events = await collector.StopAsync();
            Assert.Equal(9, Assert.Single(events, e => e.Type() == "process_exit").Long("signal"));
        }
        finally
        {
            if (!sleeper.HasExited)
                sleeper.Kill();
        }
    }

    [Fact]
    public async Task A_target_killed_while_its_probes_attach_is_reported_and_what_it_did_is_kept()
    {
        // The collector is held (SIGSTOP) so that the target, stopped at exec for its probes, can be
        // killed before the collector gets to it: the attach then finds the process gone.
        using var collector = await AttachedCollector.StartAsync("--probes", "process,cuda", "--comm", "cuda_calls");
        Assert.Equal(0, Native.Kill(collector.Process.Id, Native.SigStop));
        using var doomed = Process.Start(RealRuntime())!;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Native.State(doomed.Id) != 'T')
        {
            Assert.True(DateTime.UtcNow < deadline, "the target never stopped at exec for its probes");
            await Task.Delay(10);
        }
        Assert.Equal(0, Native.Kill(doomed.Id, Native.SigKill));
        await doomed.WaitForExitAsync();
        Assert.Equal(0, Native.Kill(collector.Process.Id, Native.SigCont));
        Assert.Equal($"scope-collector: pid {doomed.Id} exited while its CUDA probes were being attached",
            await collector.NextMessageAsync());

        // The collector goes on: the next run is traced in full.
        using var next = Process.Start(RealRuntime())!;
        Assert.Equal("ok 38", (await next.StandardOutput.ReadToEndAsync()).Trim());
        await next.WaitForExitAsync();
        var events = await collector.StopAsync();
        Assert.Equal(9, events.Single(e => e.Pid() == doomed.Id && e.Type() == "process_exit").Long("signal"));
        Assert.DoesNotContain(events, e => e.Pid() == doomed.Id && e.Type() is "cuda" or "cuda_register");
        Assert.Equal(34, events.Count(e => e.Pid() == next.Id && e.Type() == "cuda"));
    }

    [Fact]
    public async Task Cuda_probes_refuse_system_wide()
    {
        var run = await CollectorRun.RunAsync("--probes", "cuda", "--system-wide");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("each target process", run.Stderr, StringComparison.Ordinal);
    }
}
