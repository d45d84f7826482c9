using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Scope.Timeline.Tests;
using Xunit.Abstractions;

namespace Scope.Cli.Tests;

/// <summary>
/// `scope trace` as a user runs it: client/bin/scope, started from a directory of the test's own, with
/// real kernel probes. No GPU here: the CUDA programs load the STAND-IN runtime
/// (collector-native/build/tests/fake-cuda), a library that computes on the host, so calls succeed and
/// kernels are named as a real runtime registers them.
/// </summary>
public sealed class TraceTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scope-trace-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, string> StandIn => new() { ["LD_LIBRARY_PATH"] = ScopeCli.StandInRuntime };

    private async Task<ScopeCli.Result> Scope(params string[] args) => await Scope(args, null);

    private async Task<ScopeCli.Result> Scope(string[] args, IDictionary<string, string>? env, string? asUser = null)
    {
        var r = await ScopeCli.Run(_dir, args, env, asUser);
        output.WriteLine($"$ scope {string.Join(' ', args)}\nexit {r.ExitCode}\n--- stdout\n{r.Stdout}\n--- stderr\n{r.Stderr}");
        return r;
    }

    [Fact]
    public async Task A_cuda_program_gives_its_kernels_copies_peak_and_syscalls_and_its_exit_code()
    {
        var r = await Scope(["trace", "--all", "-o", "t.pftrace", "--summary-json", "s.json", "--", ScopeCli.Build("tests/cuda_calls")], StandIn);
        Assert.Equal(0, r.ExitCode);
        // The command's own output passes through untouched.
        Assert.Contains("ok 40", r.Stdout, StringComparison.Ordinal);
        var s = ScopeCli.ReadJson(Path.Combine(_dir, "s.json"));
        Assert.Equal(0, s.GetProperty("exit_code").GetInt32());
        var drops = s.GetProperty("drops");
        Assert.Equal(0UL, drops.GetProperty("ring_buffer").GetUInt64() + drops.GetProperty("send").GetUInt64() + drops.GetProperty("gaps").GetUInt64());

        var cuda = s.GetProperty("cuda");
        var kernels = cuda.GetProperty("kernels").EnumerateArray().ToDictionary(k => k.GetProperty("name").GetString()!, k => k.GetProperty("count").GetInt64());
        // cuda_calls launches vecAdd twice and scale twice (once by its stub, once by its kernel handle),
        // and a kernel with a 300-character name once.
        Assert.Equal(2, kernels["vecAdd(float*, float*, float*, int)"]);
        Assert.Equal(2, kernels["scale(float*, float)"]);
        Assert.Equal(5, kernels.Values.Sum());
        var memcpy = cuda.GetProperty("memcpy");
        Assert.Equal(["D2D", "D2H", "Default", "H2D", "H2H"], memcpy.EnumerateObject().Select(m => m.Name).Order(StringComparer.Ordinal));
        Assert.All(memcpy.EnumerateObject(), m => Assert.True(m.Value.GetProperty("bytes").GetInt64() > 0, m.Name));
        Assert.True(cuda.GetProperty("peak_bytes").GetInt64() >= 1 << 20);
        // It never frees its managed buffer, and loses its first async one (the second overwrites the pointer).
        Assert.Equal(
            [("cudaMallocAsync", 16384L), ("cudaMallocManaged", 8192L)],
            cuda.GetProperty("leaks").EnumerateArray().Select(l => (l.GetProperty("api").GetString()!, l.GetProperty("bytes").GetInt64())));

        // Every syscall table row has its percentiles; the program wrote its "ok" line.
        var syscalls = s.GetProperty("syscalls");
        var write = syscalls.GetProperty("write");
        Assert.True(write.GetProperty("count").GetUInt64() >= 1);
        Assert.True(write.GetProperty("p50_ns").GetUInt64() > 0);
        Assert.True(write.GetProperty("p99_ns").GetUInt64() >= write.GetProperty("p50_ns").GetUInt64());
        Assert.True(syscalls.TryGetProperty("exit_group", out _));

        // The readable summary says the same.
        Assert.Contains("vecAdd(float*, float*, float*, int)", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("exit code 0", r.Stderr, StringComparison.Ordinal);
        Assert.True(new FileInfo(Path.Combine(_dir, "t.pftrace")).Length > 0);
    }

    [Fact]
    public async Task A_python_leak_is_named_by_its_python_line_and_native_stack()
    {
        var script = Path.Combine(ScopeCli.Repo, "tests", "python", "cuda_leak.py");
        var r = await Scope(["trace", "--all", "-o", "leak.pftrace", "--summary-json", "s.json", "--", "/usr/bin/python3.11", script], StandIn);
        Assert.Equal(0, r.ExitCode);
        // "leak 0x<ptr> <line>": the script says which pointer it leaked and from which line.
        var said = r.Stdout.Trim().Split(' ');
        Assert.Equal("leak", said[0]);
        var s = ScopeCli.ReadJson(Path.Combine(_dir, "s.json"));
        var leak = Assert.Single(s.GetProperty("cuda").GetProperty("leaks").EnumerateArray());
        Assert.Equal(3L << 20, leak.GetProperty("bytes").GetInt64());
        Assert.Equal(Convert.ToUInt64(said[1], 16), leak.GetProperty("ptr").GetUInt64());
        var py = leak.GetProperty("python_stack").EnumerateArray().First();
        Assert.Equal(("leaky_alloc", script, uint.Parse(said[2], System.Globalization.CultureInfo.InvariantCulture)),
            (py.GetProperty("function").GetString(), py.GetProperty("file").GetString(), py.GetProperty("line").GetUInt32()));
        Assert.NotEmpty(leak.GetProperty("stack").EnumerateArray());
        Assert.Contains("leaky_alloc", r.Stderr, StringComparison.Ordinal);

        // One timeline per thread: leaky_alloc() (derived from the Python stack taken at the call)
        // encloses each cudaMalloc, which encloses the syscalls the stand-in runtime made inside it.
        var trace = DecodedTrace.Decode(File.ReadAllBytes(Path.Combine(_dir, "leak.pftrace")));
        var pid = Assert.Single(s.GetProperty("processes").EnumerateArray()).GetProperty("pid").GetInt32();
        var process = Assert.Single(trace.Tracks.Values, t => t.Process?.Int("pid") == pid);
        Assert.Contains($"python3.11 {pid}", process.Name, StringComparison.Ordinal);
        Assert.Contains(script, process.Name, StringComparison.Ordinal);
        var slices = trace.SlicesOn(trace.ThreadTrack(pid)).ToList();
        var mallocs = slices.Where(x => x.Name == "cudaMalloc").ToList();
        Assert.Equal(2, mallocs.Count);
        foreach (var m in mallocs)
            Assert.Contains(slices, x => x.Category == "python.derived" && x.Name.StartsWith("leaky_alloc", StringComparison.Ordinal) && x.Encloses(m) && x.Depth < m.Depth);
        var inside = slices.Where(x => x.Category == "syscall" && mallocs.Any(m => m.Encloses(x))).ToList();
        Assert.All(inside, x => Assert.True(mallocs.Single(m => m.Encloses(x)).Depth < x.Depth));
        Assert.Contains(trace.Tracks.Values, t => t.Counter is not null && t.Name!.StartsWith("GPU memory", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_json_trace_nests_every_thread_and_names_kernels()
    {
        var r = await Scope(["trace", "--all", "--json", "-o", "t.json", "--", ScopeCli.Build("tests/cuda_calls")], StandIn);
        Assert.Equal(0, r.ExitCode);
        using var json = new JsonTrace(File.ReadAllBytes(Path.Combine(_dir, "t.json")));
        json.AssertNested();
        Assert.Contains(json.Phase("X"), e => JsonTrace.Name(e).Contains("vecAdd(float*, float*, float*, int)", StringComparison.Ordinal));
        Assert.Contains(json.Phase("M"), e => JsonTrace.Name(e) == "process_name");
    }

    [Fact]
    public async Task The_exit_code_is_the_commands_and_the_default_trace_name_is_in_the_working_directory()
    {
        var r = await Scope("trace", "--", "sh", "-c", "echo hello; exit 7");
        Assert.Equal(7, r.ExitCode);
        Assert.Equal("hello", r.Stdout.Trim());
        var trace = Assert.Single(Directory.GetFiles(_dir, "scope-sh-*.pftrace"));
        Assert.True(new FileInfo(trace).Length > 0);
        Assert.Contains($"trace: {trace}", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_running_process_is_traced_for_the_duration_asked()
    {
        using var busy = Process.Start(new ProcessStartInfo("/usr/bin/python3.11", ["-c", "import time\nt=time.time()\nwhile time.time()-t<30: sum(range(1000))"]) { UseShellExecute = false })!;
        try
        {
            var clock = Stopwatch.StartNew();
            var r = await Scope("trace", "--python", "--syscalls", "-p", busy.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", "2", "--summary-json", "s.json");
            Assert.Equal(0, r.ExitCode);
            Assert.False(busy.HasExited);
            var s = ScopeCli.ReadJson(Path.Combine(_dir, "s.json"));
            Assert.Equal(JsonValueKind.Null, s.GetProperty("exit_code").ValueKind);
            var python = s.GetProperty("python");
            // About 99 samples a second of CPU time for two seconds.
            Assert.True(python.GetProperty("samples").GetInt64() >= 50, python.GetRawText());
            Assert.Equal("<module>", python.GetProperty("top").EnumerateArray().First().GetProperty("function").GetString());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), "stopped at --duration, long before the target exits");
        }
        finally
        {
            busy.Kill();
        }
    }

    [Fact]
    public async Task A_missing_command_a_missing_pid_and_bad_options_get_clear_errors_and_start_nothing()
    {
        var r = await Scope("trace", "--", "no-such-command-here");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no such command 'no-such-command-here'", r.Stderr, StringComparison.Ordinal);
        r = await Scope("trace", "-p", "4194303");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no process 4194303", r.Stderr, StringComparison.Ordinal);
        r = await Scope("trace", "--frobnicate", "--", "true");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown option '--frobnicate'", r.Stderr, StringComparison.Ordinal);
        r = await Scope("trace", "-p", "1", "--", "true");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("not both", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task On_a_terminal_it_shows_live_progress()
    {
        // script(1) gives the CLI a pseudo-terminal, as a user's shell would.
        var scope = Path.Combine(ScopeCli.Repo, "client", "bin", "scope");
        var psi = new ProcessStartInfo("script", ["-qec", $"{scope} trace -o t.pftrace -- sh -c 'sleep 1.5; echo done'", "/dev/null"])
        {
            WorkingDirectory = _dir,
            UseShellExecute = false,
            RedirectStandardOutput = true,
        };
        using var p = Process.Start(psi)!;
        var seen = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        output.WriteLine(seen);
        Assert.Equal(0, p.ExitCode);
        Assert.Matches(@"scope: +[0-9.]+ s +[0-9,]+ events/s +[0-9,]+ events +[0-9,]+ dropped", seen);
        Assert.Contains("done", seen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_root_it_says_so_and_exits_3()
    {
        // nobody (65534) can run the CLI but not load eBPF programs.
        File.SetUnixFileMode(_dir, (UnixFileMode)0b111_111_111);
        var r = await Scope(["trace", "--", "true"], new Dictionary<string, string> { ["DOTNET_CLI_HOME"] = _dir, ["HOME"] = _dir }, asUser: "65534");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("needs root", r.Stderr, StringComparison.Ordinal);
    }
}
