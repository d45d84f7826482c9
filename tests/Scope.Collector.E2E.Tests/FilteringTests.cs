using System.Diagnostics;

namespace Scope.Collector.E2E.Tests;

/// <summary>--pid, --comm and --system-wide against processes that run alongside the targets.</summary>
[Collection("collector")]
public sealed class FilteringTests
{
    private static Process StartLoop(string shellLoop)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(shellLoop);
        return Process.Start(psi)!;
    }

    private static void Stop(Process p)
    {
        if (!p.HasExited)
            p.Kill(entireProcessTree: true);
        p.WaitForExit();
        p.Dispose();
    }

    /// <summary>Runs the collector until `during` is done, then stops it with SIGTERM as a user would.</summary>
    private static async Task<CollectorRun> RunWhileAsync(Func<Task> during, params string[] args)
    {
        var file = Path.Combine(Path.GetTempPath(), $"scope-e2e-{Guid.NewGuid():N}.jsonl");
        try
        {
            using var p = Process.Start(CollectorRun.StartInfo([.. args, "--output", file]))!;
            var stderr = new System.Text.StringBuilder();
            // The collector says "ready" on stderr once every probe is attached and the targets are set.
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                string? line;
                while ((line = await p.StandardError.ReadLineAsync(cts.Token)) is not null)
                {
                    stderr.AppendLine(line);
                    if (line == "scope-collector: ready")
                        break;
                }
                Assert.True(line is not null, "the collector ended before it was ready: " + stderr);
            }
            var rest = p.StandardError.ReadToEndAsync();
            await during();
            Assert.Equal(0, Native.Kill(p.Id, Native.SigTerm));
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await p.WaitForExitAsync(wait.Token);
            return new CollectorRun { ExitCode = p.ExitCode, Stdout = await File.ReadAllTextAsync(file), Stderr = stderr + await rest, Pid = p.Id };
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Pid_filter_reports_only_that_process_while_others_run()
    {
        var target = StartLoop("while :; do cat /etc/hostname >/dev/null; sleep 0.05; done");
        var noise = StartLoop("while :; do cat /etc/hostname >/dev/null; done");
        try
        {
            var run = await RunWhileAsync(() => Task.Delay(1500), "--pid", target.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(0, run.ExitCode);
            var events = run.Events;
            Assert.Contains(events, e => e.IsSyscall("openat") && e.Pid() == target.Id && e.Args().Str("path") == "/dev/null");
            Assert.Contains(events, e => e.IsSyscall("vfork") && e.Pid() == target.Id);
            Assert.Contains(events, e => e.Type() == "process_fork" && e.Pid() == target.Id);
            Assert.All(events.Where(e => e.Type() != "drops"), e => Assert.Equal(target.Id, e.Pid()));
            // Stopped by SIGTERM: the target's totals so far are flushed, marked not final.
            var counts = Assert.Single(events, e => e.Type() == "syscall_counts");
            Assert.False(counts.GetProperty("final").GetBoolean());
            Assert.True(counts.GetProperty("counts").GetProperty("wait4").Long("count") > 0);
        }
        finally
        {
            Stop(target);
            Stop(noise);
        }
    }

    [Fact]
    public async Task Pid_filter_with_follow_children_adds_the_children_it_forks()
    {
        var target = StartLoop("while :; do cat /etc/hostname; sleep 0.05; done");
        try
        {
            var run = await RunWhileAsync(() => Task.Delay(1500), "--pid", target.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--follow-children");
            // A child forked before the collector started is found in /proc; its exec was not seen, its exit is.
            var children = run.Events.Where(e => e.Type() is "process_exec" or "process_exit" && e.Long("ppid") == target.Id).Select(e => e.Pid()).ToHashSet();
            Assert.NotEmpty(children);
            Assert.Contains(run.Events, e => e.IsSyscall("openat") && children.Contains(e.Pid()) && e.Args().Str("path") == "/etc/hostname");
            Assert.All(run.Events.Where(e => e.Type() != "drops"), e => Assert.True(e.Pid() == target.Id || children.Contains(e.Pid()), $"unexpected pid {e.Pid()}"));
        }
        finally
        {
            Stop(target);
        }
    }

    [Fact]
    public async Task Comm_filter_catches_processes_started_later_and_ones_already_running()
    {
        // exec through a link gives the process the link's name as its comm.
        var dir = Directory.CreateTempSubdirectory("scope-e2e-");
        var early = Path.Combine(dir.FullName, "scopecommA");
        var late = Path.Combine(dir.FullName, "scopecommB");
        File.CreateSymbolicLink(early, "/bin/sh");
        File.CreateSymbolicLink(late, "/bin/cat");
        // A busy process, so that its syscalls after the collector starts can be counted.
        var running = Process.Start(early, ["-c", "while :; do sleep 0.05; done"]);
        try
        {
            var run = await RunWhileAsync(async () =>
            {
                using var p = Process.Start(new ProcessStartInfo(late, "/etc/hostname") { RedirectStandardOutput = true })!;
                await p.WaitForExitAsync();
                using var other = Process.Start(new ProcessStartInfo("/bin/cat", "/etc/hostname") { RedirectStandardOutput = true })!;
                await other.WaitForExitAsync();
                await Task.Delay(300);
            }, "--comm", "scopecommB", "--comm", "scopecommA");
            var lateExec = Assert.Single(run.Events, e => e.Type() == "process_exec");
            Assert.Equal("scopecommB", lateExec.Str("comm"));
            Assert.Contains(run.Events, e => e.Pid() == lateExec.Pid() && e.IsSyscall("openat") && e.Args().Str("path") == "/etc/hostname");
            // The shell was running before the collector: found in /proc, its totals reported at stop.
            Assert.Contains(run.Events, e => e.Type() == "syscall_counts" && e.Pid() == running.Id);
            Assert.All(run.Events.Where(e => e.Type() != "drops"), e => Assert.StartsWith("scopecomm", e.Str("comm"), StringComparison.Ordinal));
        }
        finally
        {
            Stop(running);
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task System_wide_counts_only_sees_other_processes_but_not_itself()
    {
        int ddPid = 0;
        var run = await RunWhileAsync(async () =>
        {
            using var dd = Process.Start(new ProcessStartInfo("dd", "if=/dev/zero of=/dev/null bs=1 count=137 status=none"))!;
            ddPid = dd.Id;
            await dd.WaitForExitAsync();
            await Task.Delay(300);
        }, "--system-wide", "--counts-only", "--probes", "process,syscalls");
        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain(run.Events, e => e.Type() == "syscall");
        var dd = Assert.Single(run.Events, e => e.Type() == "syscall_counts" && e.Pid() == ddPid);
        Assert.True(dd.GetProperty("final").GetBoolean());
        Assert.Equal(137, dd.GetProperty("counts").GetProperty("write").Long("count"));
        Assert.Contains(run.Events, e => e.Type() == "process_exec" && e.Pid() == ddPid);
        Assert.DoesNotContain(run.Events, e => e.Type() != "drops" && e.Pid() == run.Pid);
    }
}
