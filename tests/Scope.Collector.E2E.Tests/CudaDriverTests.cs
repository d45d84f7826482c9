using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Scope.Collector.E2E.Tests;

/// <summary>
/// The CUDA driver API, one count per operation, and call stacks. The driver is Debian's real
/// libcuda 535 (no GPU here: cuInit fails, then every call returns CUDA_ERROR_NOT_INITIALIZED, but
/// the uprobes see real arguments and return codes). The success path of a driver-only program uses
/// a STAND-IN driver (collector-native/tests/helpers/fake_cuda_driver.c, SONAME libcuda.so.1, found
/// through LD_LIBRARY_PATH) that computes the program's two kernels on the host.
/// </summary>
[Collection("collector")]
public sealed class CudaDriverTests
{
    private static string Build(string path) => Path.Combine(Path.GetDirectoryName(CollectorRun.BinaryPath)!, path);

    private static async Task<CollectorRun> Trace(string program, string? libraryPath)
    {
        var psi = CollectorRun.StartInfo(["--probes", "process,cuda", "--", Build("tests/" + program)]);
        if (libraryPath is not null)
            psi.Environment["LD_LIBRARY_PATH"] = Build(libraryPath);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return new CollectorRun { ExitCode = p.ExitCode, Stdout = await stdout, Stderr = await stderr };
    }

    /// <summary>"CALL api ret=R key=value ..." lines: each call as the program made it.</summary>
    private static List<(string Api, Dictionary<string, string> Fields)> ProgramLines(CollectorRun run, string tag) =>
        [.. run.Stdout.Split('\n')
            .Where(l => l.StartsWith(tag + " ", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(parts => (parts[1], parts.Skip(2).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1])))];

    private static ulong Hex(string s) => Convert.ToUInt64(s[2..], 16);

    /// <summary>Each field the program printed has the same value in the record.</summary>
    private static void SameCall((string Api, Dictionary<string, string> Fields) made, JsonElement seen)
    {
        Assert.Equal(made.Api, seen.Str("api"));
        foreach (var (key, value) in made.Fields)
        {
            var v = seen.GetProperty(key);
            switch (key)
            {
                case "ptr" or "src" or "func" or "stream" or "handle":
                    Assert.True(Hex(value) == Hex(v.GetString()!), $"{made.Api} {key}: made {value}, seen {v}");
                    break;
                case "grid" or "block":
                    Assert.Equal(value, string.Join(',', v.EnumerateArray().Select(x => x.GetInt64())));
                    break;
                default:
                    Assert.True(long.Parse(value, CultureInfo.InvariantCulture) == v.GetInt64(), $"{made.Api} {key}: made {value}, seen {v}");
                    break;
            }
        }
    }

    [Fact]
    public async Task A_driver_only_program_on_the_real_driver_is_captured_exactly()
    {
        var run = await Trace("cuda_driver", libraryPath: null);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("VERIFY skipped", run.Stdout, StringComparison.Ordinal);

        var made = ProgramLines(run, "CALL");
        var lookups = new HashSet<string> { "cuModuleGetFunction", "cuLibraryGetKernel", "cuKernelGetFunction" };
        var calls = made.Where(m => !lookups.Contains(m.Api)).ToList();
        Assert.Equal(19, calls.Count);
        var seen = run.Events.Where(e => e.Type() == "cuda").ToList();
        // Every call, in order, with the arguments and the CUresult the program got (all failures here).
        Assert.Equal(calls.Select(c => c.Api), seen.Select(s => s.Str("api")!));
        for (var i = 0; i < calls.Count; i++)
            SameCall(calls[i], seen[i]);
        Assert.All(seen, s => Assert.NotEqual(0, s.Long("ret")));
        Assert.Equal(calls.Select(c => long.Parse(c.Fields["ret"], CultureInfo.InvariantCulture)), seen.Select(s => s.Long("ret")));
        // A failed lookup names nothing; a driver-only program's device is not guessed, except where
        // the call names it (cuMemCreate's location).
        Assert.DoesNotContain(run.Events, e => e.Type() == "cuda_register");
        Assert.All(seen.Where(s => s.Str("api") != "cuMemCreate"), s => Assert.False(s.TryGetProperty("device", out _)));

        // Allocations carry the caller's stack: the program allocates in alloc_buffer, called by main.
        var stacks = run.Events.Where(e => e.Type() == "cuda_stack" && e.Str("api") == "cuMemAlloc_v2").ToList();
        Assert.Equal(3, stacks.Count);
        foreach (var stack in stacks)
        {
            var symbols = stack.GetProperty("symbols").EnumerateArray().Select(s => s.GetString()!).ToList();
            Assert.StartsWith("alloc_buffer+0x", symbols[0], StringComparison.Ordinal);
            Assert.StartsWith("main+0x", symbols[1], StringComparison.Ordinal);
            var call = seen.Single(s => s.Long("ts_ns") == stack.Long("ts_ns"));
            Assert.Equal("cuMemAlloc_v2", call.Str("api"));
            Assert.True(call.GetProperty("has_stack").GetBoolean());
        }
        Assert.Equal(["cuLaunchKernel", "cuLaunchKernelEx", "cuMemCreate", "cuMemMap"],
            run.Events.Where(e => e.Type() == "cuda_stack" && e.Str("api") != "cuMemAlloc_v2").Select(e => e.Str("api")!));
        Assert.DoesNotContain(seen, s => s.Str("api") is "cuMemcpyHtoD_v2" or "cuMemFree_v2" && s.TryGetProperty("has_stack", out _));
    }

    [Fact]
    public async Task A_driver_only_program_on_the_stand_in_driver_has_its_launches_named_by_the_handles_it_looked_up()
    {
        var run = await Trace("cuda_driver", "tests/fake-driver");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("VERIFY ok", run.Stdout, StringComparison.Ordinal);

        var calls = ProgramLines(run, "CALL").Where(m => !m.Api.EndsWith("GetFunction", StringComparison.Ordinal) && m.Api != "cuLibraryGetKernel").ToList();
        var seen = run.Events.Where(e => e.Type() == "cuda").ToList();
        Assert.Equal(calls.Select(c => c.Api), seen.Select(s => s.Str("api")!));
        for (var i = 0; i < calls.Count; i++)
            SameCall(calls[i], seen[i]);
        Assert.All(seen, s => Assert.Equal(0, s.Long("ret")));

        // The three lookups, as registrations mapping each handle to its kernel's name.
        var regs = ProgramLines(run, "REG");
        var registers = run.Events.Where(e => e.Type() == "cuda_register").ToList();
        Assert.Equal(["module_function", "library_kernel", "kernel_function"], registers.Select(r => r.Str("kind")!));
        Assert.Equal(regs.Select(r => r.Api), registers.Select(r => r.Str("kind")!));
        Assert.Equal(regs.Select(r => Hex(r.Fields["handle"])), registers.Select(r => Hex(r.Str("handle")!)));
        Assert.Equal(regs.Select(r => r.Fields["name"]), registers.Select(r => r.Str("kernel")!));
        // The CUfunction of a CUkernel stands for that kernel.
        Assert.Equal(Hex(registers[1].Str("handle")!), Hex(registers[2].Str("host_fun")!));

        var add = Assert.Single(seen, s => s.Str("api") == "cuLaunchKernel");
        Assert.Equal("scope_vec_add", add.Str("kernel"));
        var sub = Assert.Single(seen, s => s.Str("api") == "cuLaunchKernelEx");
        Assert.Equal("scope_vec_sub", sub.Str("kernel"));
    }

    [Fact]
    public async Task A_runtime_call_that_goes_through_the_driver_is_one_operation()
    {
        // The stand-in runtime makes its cudaMalloc, cudaFree and host-to-device cudaMemcpy calls
        // through the real driver's cuMemAlloc_v2, cuMemFree_v2 and cuMemcpyHtoD_v2, as the real
        // runtime does: those are part of the runtime call and are not reported again.
        var run = await Trace("cuda_ledger", "tests/fake-cuda");
        Assert.Equal(0, run.ExitCode);
        var driverCalls = int.Parse(run.Stdout.Split('\n').Single(l => l.StartsWith("driver_calls ", StringComparison.Ordinal))[13..],
            CultureInfo.InvariantCulture);
        Assert.Equal(7, driverCalls);
        Assert.Contains($"scope-collector: {driverCalls} driver calls made inside other CUDA calls were counted as part of them",
            run.Stderr, StringComparison.Ordinal);

        var seen = run.Events.Where(e => e.Type() == "cuda").ToList();
        Assert.Equal(["cudaMalloc", "cudaMalloc", "cudaMalloc", "cudaFree", "cudaFree", "cudaMemcpy", "cudaMemcpy", "cudaMemcpy", "cudaMemcpy"],
            seen.Select(s => s.Str("api")!));
        Assert.Equal([1L << 20, 2L << 20, 3L << 20], seen.Take(3).Select(s => s.Long("bytes")));

        // Each allocation's stack names the function that made it, then main.
        var stacks = run.Events.Where(e => e.Type() == "cuda_stack").ToList();
        Assert.Equal(3, stacks.Count);
        Assert.All(stacks, s =>
        {
            var symbols = s.GetProperty("symbols").EnumerateArray().Select(x => x.GetString()!).ToList();
            Assert.StartsWith("alloc_three_free_two+0x", symbols[0], StringComparison.Ordinal);
            Assert.StartsWith("main+0x", symbols[1], StringComparison.Ordinal);
        });
        var leak = run.Stdout.Split('\n').Single(l => l.StartsWith("leak ", StringComparison.Ordinal)).Split(' ');
        Assert.Equal(Hex(leak[1]), Hex(seen[2].Str("ptr")!));
    }

    [Fact]
    public async Task The_real_runtime_reports_one_operation_per_cudaMalloc()
    {
        // The real CUDA 11.8 runtime loads the real driver, whose probes are attached too.
        var run = await Trace("cuda_ledger", libraryPath: null);
        Assert.Equal(0, run.ExitCode);
        var seen = run.Events.Where(e => e.Type() == "cuda").ToList();
        Assert.Equal(3, seen.Count(s => s.Str("api") == "cudaMalloc"));
        Assert.All(seen.Where(s => s.Str("api") == "cudaMalloc"), s => Assert.Equal(100, s.Long("ret")));
        Assert.DoesNotContain(seen, s => s.Str("api")!.StartsWith("cu", StringComparison.Ordinal) && !s.Str("api")!.StartsWith("cuda", StringComparison.Ordinal));
        Assert.Equal(9, seen.Count);
    }

    [Fact]
    public async Task Stacks_can_be_turned_off()
    {
        var psi = CollectorRun.StartInfo(["--probes", "cuda", "--no-cuda-stacks", "--", Build("tests/cuda_driver")]);
        using var p = Process.Start(psi)!;
        var stdout = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        var events = CollectorRun.ParseEvents(stdout);
        Assert.Equal(19, events.Count(e => e.Type() == "cuda"));
        Assert.DoesNotContain(events, e => e.Type() == "cuda_stack" || e.TryGetProperty("has_stack", out _));
    }
}
