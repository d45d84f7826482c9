using System.Diagnostics;

namespace Scope.Collector.E2E.Tests;

/// <summary>Each kind of failure gives its own message and exit code (docs/collector.md).</summary>
[Collection("collector")]
public sealed class FailureTests
{
    [Theory]
    [InlineData(new[] { "--stdout" }, "nothing to trace")]
    [InlineData(new[] { "--probes", "nosuch", "--pid", "1" }, "unknown probe set 'nosuch'")]
    [InlineData(new[] { "--pid", "x1" }, "--pid needs a process id")]
    [InlineData(new[] { "--system-wide", "--pid", "1" }, "cannot be combined")]
    [InlineData(new[] { "--frobnicate" }, "unknown option")]
    public async Task Bad_arguments_exit_2_with_the_reason(string[] args, string reason)
    {
        var run = await CollectorRun.RunAsync(args);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(reason, run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.Stdout);
    }

    [Fact]
    public async Task Missing_btf_exits_4()
    {
        var run = await CollectorRun.RunAsync("--btf", "/nonexistent/vmlinux", "--", "true");
        Assert.Equal(4, run.ExitCode);
        Assert.Contains("missing BTF", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_btf_exits_4()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "not btf");
        try
        {
            var run = await CollectorRun.RunAsync("--btf", file, "--", "true");
            Assert.Equal(4, run.ExitCode);
            Assert.Contains("not valid BTF", run.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Missing_privileges_exit_3()
    {
        // setpriv drops to nobody with no capabilities, as an unprivileged user would run it.
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", CollectorRun.BinaryPath, "--", "true" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(3, p.ExitCode);
        Assert.Contains("missing privileges", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_pid_exits_5()
    {
        var run = await CollectorRun.RunAsync("--pid", "4194000");
        Assert.Equal(5, run.ExitCode);
        Assert.Contains("no process with pid 4194000", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_command_exits_127_and_shows_the_failed_exec()
    {
        var run = await CollectorRun.RunAsync("--", "/nonexistent/program");
        Assert.Equal(127, run.ExitCode);
        Assert.Contains("cannot run '/nonexistent/program'", run.Stderr, StringComparison.Ordinal);
        var exec = Assert.Single(run.Events, e => e.IsSyscall("execve"));
        Assert.Equal("ENOENT", exec.Str("error"));
        Assert.DoesNotContain(run.Events, e => e.Type() == "process_exec");
    }

    [Theory]
    [InlineData(Native.SigTerm)]
    [InlineData(Native.SigInt)]
    public async Task A_stop_signal_with_a_command_is_passed_on_and_the_collector_ends_with_it(int sig)
    {
        using var p = Process.Start(CollectorRun.StartInfo(["--probes", "process", "--", "sleep", "30"]))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        for (var i = 0; i < 400 && !Native.Children(p.Id).Any(c => Native.Comm(c) == "sleep"); i++)
            await Task.Delay(25);
        Assert.Equal(0, Native.Kill(p.Id, sig));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await p.WaitForExitAsync(cts.Token);
        Assert.Equal(128 + sig, p.ExitCode);
        var exit = Assert.Single(CollectorRun.ParseEvents(await stdout), e => e.Type() == "process_exit");
        Assert.Equal(sig, exit.Long("signal"));
    }
}
