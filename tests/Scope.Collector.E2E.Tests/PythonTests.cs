using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Scope.Collector.E2E.Tests;

/// <summary>
/// The Python sampler on every interpreter on this machine: Debian's /usr/bin/python3.11 (static,
/// 3.11.2) and the pyenv shared builds 3.11.7, 3.12.1 and 3.13.0, each sampled with the offsets
/// its own headers gave at build time. Real interpreters running real scripts (tests/python/).
/// </summary>
[Collection("collector")]
public sealed class PythonTests
{
    public static TheoryData<string> Interpreters => new(
        "/usr/bin/python3.11",
        "/root/.pyenv/versions/3.11.7/bin/python3.11",
        "/root/.pyenv/versions/3.12.1/bin/python3.12",
        "/root/.pyenv/versions/3.13.0/bin/python3.13");

    private static string Script(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Scope.sln")))
            dir = dir.Parent;
        return Path.Combine(dir!.FullName, "tests", "python", name);
    }

    /// <summary>The script's own output in Stdout, the collector's lines (written to a file, so the two never interleave) in Events.</summary>
    private static async Task<(CollectorRun Run, IReadOnlyList<JsonElement> Events)> Sample(string python, string script, params string[] args) =>
        await Trace("process,python", null, python, script, args);

    private static async Task<(CollectorRun Run, IReadOnlyList<JsonElement> Events)> Trace(
        string probes, string? libraryPath, string python, string script, params string[] args)
    {
        var output = Path.GetTempFileName();
        try
        {
            var psi = CollectorRun.StartInfo(["--probes", probes, "--output", output, "--", python, Script(script), .. args]);
            if (libraryPath is not null)
                psi.Environment["LD_LIBRARY_PATH"] = libraryPath;
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await p.WaitForExitAsync(cts.Token);
            var run = new CollectorRun { ExitCode = p.ExitCode, Stdout = await stdout, Stderr = await stderr };
            return (run, CollectorRun.ParseEvents(await File.ReadAllTextAsync(output)));
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static List<JsonElement> Frames(JsonElement sample) => [.. sample.GetProperty("stack").EnumerateArray()];

    private static string? Function(JsonElement frame) => frame.TryGetProperty("function", out var f) ? f.GetString() : null;

    [Theory]
    [MemberData(nameof(Interpreters))]
    public async Task Samples_attribute_cpu_time_to_the_functions_and_lines_that_spent_it(string python)
    {
        var (run, events) = await Sample(python, "hotwarm.py", "3");
        Assert.Equal(0, run.ExitCode);
        var measured = run.Stdout.Split('\n').Single(l => l.StartsWith("hot ", StringComparison.Ordinal)).Split(' ');
        var hotShare = double.Parse(measured[1], CultureInfo.InvariantCulture);

        var samples = events.Where(e => e.Type() == "python_sample").ToList();
        var inHotOrWarm = samples.Where(s => Frames(s).Count > 0 && Function(Frames(s)[0]) is "hot" or "warm").ToList();
        // 3 s of CPU time at 99 Hz: about 300 samples, nearly all in hot() or warm()
        Assert.True(inHotOrWarm.Count >= 150, $"{inHotOrWarm.Count} samples in hot() or warm() of {samples.Count}");
        var hot = inHotOrWarm.Where(s => Function(Frames(s)[0]) == "hot").ToList();
        var sampledShare = (double)hot.Count / inHotOrWarm.Count;
        Assert.True(Math.Abs(sampledShare - hotShare) <= 0.10,
            $"hot(): sampled {sampledShare:P1}, measured {hotShare:P1} of the CPU time in hot() and warm()");

        // Every such stack names the script's file and reaches main(), which called hot() and warm().
        var path = Script("hotwarm.py");
        Assert.All(inHotOrWarm, s =>
        {
            var frames = Frames(s);
            Assert.Equal(path, frames[0].GetProperty("file").GetString());
            Assert.Equal("main", Function(frames[1]));
            Assert.Contains(frames, f => Function(f) == "<module>");
        });

        // The executing line, not the def line: most of hot()'s samples are in its loop.
        var lines = File.ReadAllLines(path);
        var loop = Enumerable.Range(1, lines.Length).Where(n => lines[n - 1].Contains("# hot-", StringComparison.Ordinal)).ToHashSet();
        Assert.Equal(2, loop.Count);
        var inLoop = hot.Count(s => loop.Contains(Frames(s)[0].GetProperty("line").GetInt32()));
        Assert.True(inLoop * 2 >= hot.Count, $"{inLoop} of {hot.Count} samples of hot() on its loop lines {string.Join(",", loop)}");
    }

    [Theory]
    [MemberData(nameof(Interpreters))]
    public async Task Each_threads_samples_show_only_that_threads_function(string python)
    {
        var (run, events) = await Sample(python, "two_threads.py", "2");
        Assert.Equal(0, run.ExitCode);
        var tids = run.Stdout.Split('\n').Where(l => l.StartsWith("alpha ", StringComparison.Ordinal) || l.StartsWith("beta ", StringComparison.Ordinal))
            .ToDictionary(l => l.Split(' ')[0], l => int.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture));
        var samples = events.Where(e => e.Type() == "python_sample").ToList();
        foreach (var (function, other) in new[] { ("alpha", "beta"), ("beta", "alpha") })
        {
            // A thread sampled as it ends, its thread state already gone, has no Python stack at all.
            var mine = samples.Where(s => s.GetProperty("tid").GetInt32() == tids[function] && Frames(s).Count > 0).ToList();
            // 2 s of the thread's own CPU time at 99 Hz: about 200 samples, however busy the machine is
            Assert.True(mine.Count >= 50, $"{mine.Count} samples of the {function} thread");
            Assert.All(mine, s =>
            {
                var names = Frames(s).Select(Function).ToList();
                Assert.DoesNotContain(other, names);
                // A thread sampled as it starts, still in threading's own bootstrap before its target
                // runs, has only threading.py frames; every other sample is in its own function.
                if (Frames(s).Any(f => !f.GetProperty("file").GetString()!.EndsWith("/threading.py", StringComparison.Ordinal)))
                    Assert.Equal(function, names[0]);
            });
        }
    }

    [Theory]
    [MemberData(nameof(Interpreters))]
    public async Task A_cuda_allocation_made_from_python_carries_the_python_line_that_made_it(string python)
    {
        // The STAND-IN CUDA runtime (no GPU here), loaded by the script through ctypes.
        var standIn = Path.Combine(Path.GetDirectoryName(CollectorRun.BinaryPath)!, "tests", "fake-cuda");
        var (run, events) = await Trace("process,cuda,python", standIn, python, "cuda_leak.py");
        Assert.Equal(0, run.ExitCode);
        var said = run.Stdout.Split('\n').Single(l => l.StartsWith("leak ", StringComparison.Ordinal)).Split(' ');
        var line = int.Parse(said[2], CultureInfo.InvariantCulture);
        var mallocs = events.Where(e => e.Type() == "cuda" && e.Str("api") == "cudaMalloc").ToList();
        Assert.Equal(2, mallocs.Count);
        Assert.Equal(said[1], mallocs[1].Str("ptr"));
        foreach (var m in mallocs)
        {
            // The Python stack of that very call: same thread, same entry time, just before it.
            var py = Assert.Single(events, e => e.Type() == "python_sample" && e.TryGetProperty("at_cuda_call", out _)
                && e.Long("tid") == m.Long("tid") && e.Long("ts_ns") == m.Long("ts_ns"));
            var frames = Frames(py);
            Assert.Equal(["leaky_alloc", "main", "<module>"], frames.Select(Function));
            Assert.Equal(line, frames[0].GetProperty("line").GetInt32());
            Assert.All(frames, f => Assert.Equal(Script("cuda_leak.py"), f.GetProperty("file").GetString()));
        }
    }

    [Fact]
    public async Task Debians_python_reports_exactly_the_calls_its_usdt_probes_fire()
    {
        var (run, events) = await Sample("/usr/bin/python3.11", "usdt_frames.py");
        Assert.Equal(0, run.ExitCode);
        // What the script says must fire, by function: "gen 5 <lambda> 3 co 2".
        var said = run.Stdout.Trim().Split(' ');
        var expected = Enumerable.Range(0, said.Length / 2).ToDictionary(i => said[2 * i], i => int.Parse(said[2 * i + 1], CultureInfo.InvariantCulture));
        var path = Script("usdt_frames.py");
        var calls = events.Where(e => e.Type() == "python_call" && e.Str("file") == path).ToList();
        var counted = calls.GroupBy(c => c.Str("function")!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(expected.OrderBy(k => k.Key), counted.OrderBy(k => k.Key));
        // Each with the line of its definition as the probe gave it, and a duration.
        var lines = File.ReadAllLines(path);
        int Line(string text) => Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal)) + 1;
        Assert.All(calls.Where(c => c.Str("function") == "gen"), c => Assert.Equal(Line("def gen"), (int)c.Long("line")));
        Assert.All(calls.Where(c => c.Str("function") == "co"), c => Assert.Equal(Line("async def co"), (int)c.Long("line")));
        Assert.All(calls.Where(c => c.Str("function") == "<lambda>"), c => Assert.Equal(Line("(lambda"), (int)c.Long("line")));
        Assert.All(calls, c => Assert.True(c.Long("dur_ns") > 0));
    }

    [Fact]
    public async Task Builds_without_usdt_probes_report_no_calls_but_are_still_sampled()
    {
        var (run, events) = await Sample("/root/.pyenv/versions/3.12.1/bin/python3.12", "usdt_frames.py");
        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain(events, e => e.Type() == "python_call");
        Assert.DoesNotContain("is not sampled", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_interpreter_it_cannot_sample_is_named_with_the_versions_it_can()
    {
        var (run, events) = await Sample("/root/.pyenv/versions/3.10.13/bin/python3.10", "hotwarm.py", "1");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("is not sampled for Python: it runs a CPython older than 3.11", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("it samples 3.11.2, 3.11.7, 3.12.1, 3.13.0", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(events, e => e.Type() == "python_sample");
        Assert.Contains(events, e => e.Type() == "process_exit");
    }

    [Fact]
    public async Task A_target_that_runs_no_python_is_said_so_and_not_sampled()
    {
        var run = await CollectorRun.RunAsync("--probes", "process,python", "--", "dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=3000000");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("is not sampled for Python: it runs no CPython interpreter", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Events, e => e.Type() == "python_sample");
    }

    [Fact]
    public async Task Python_probes_refuse_system_wide_and_check_the_rate()
    {
        var wide = await CollectorRun.RunAsync("--probes", "python", "--system-wide");
        Assert.Equal(2, wide.ExitCode);
        Assert.Contains("python probes sample chosen processes", wide.Stderr, StringComparison.Ordinal);
        var rate = await CollectorRun.RunAsync("--probes", "python", "--python-hz", "0", "--", "true");
        Assert.Equal(2, rate.ExitCode);
        Assert.Contains("--python-hz needs a rate from 1 to 10000", rate.Stderr, StringComparison.Ordinal);
    }
}
