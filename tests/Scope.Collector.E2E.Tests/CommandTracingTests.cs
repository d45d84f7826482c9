using System.Text.Json;

namespace Scope.Collector.E2E.Tests;

/// <summary>`scope-collector -- CMD`: a command traced from its first instruction, like strace.</summary>
[Collection("collector")]
public sealed class CommandTracingTests
{
    private const string Hostname = "/etc/hostname";

    private static void AssertCatOfHostname(IReadOnlyList<JsonElement> events)
    {
        var size = new FileInfo(Hostname).Length;
        Assert.True(size > 0, "the test needs a non-empty /etc/hostname");

        var exec = Assert.Single(events, e => e.Type() == "process_exec");
        Assert.EndsWith("/cat", exec.Str("filename"), StringComparison.Ordinal);
        Assert.Equal(["/bin/cat", Hostname], exec.GetProperty("argv").EnumerateArray().Select(a => a.GetString()!));
        Assert.Equal("cat", exec.Str("comm"));
        var pid = exec.Pid();
        foreach (var key in new[] { "ppid", "uid", "cgroup_id", "start_ns" })
            Assert.True(exec.TryGetProperty(key, out _), $"process_exec lacks {key}");

        // Every event is the command's: nothing of the collector's own leaks in.
        Assert.All(events, e => Assert.Equal(pid, e.Pid()));
        Assert.Equal("execve", events.First(e => e.Type() == "syscall").GetProperty("name").GetString());
        var counts = Assert.Single(events, e => e.Type() == "syscall_counts");
        Assert.True(counts.GetProperty("final").GetBoolean());
        Assert.Equal(events.Count(e => e.IsSyscall("openat")), counts.GetProperty("counts").GetProperty("openat").Long("count"));

        var open = Assert.Single(events, e => e.IsSyscall("openat") && e.Args().Str("path") == Hostname);
        var fd = open.Long("ret");
        Assert.True(fd >= 0, $"openat of {Hostname} returned {fd}");
        Assert.Equal(fd, open.ArgLong("fd"));

        // Bytes in and out equal the file's size, whichever way cat moved them. The fd number was
        // used for other files before (ld.so, locales): count only what follows this open.
        var opened = open.Long("ts_ns");
        events = [.. events.Where(e => e.Long("ts_ns") > opened)];
        long readIn = events.Where(e => e.IsSyscall("read") && e.ArgLong("fd") == fd).Sum(e => Math.Max(0, e.ArgLong("bytes")));
        long copied = events.Where(e => e.IsSyscall("copy_file_range") && e.ArgLong("fd_in") == fd).Sum(e => Math.Max(0, e.ArgLong("bytes")));
        long sent = events.Where(e => e.IsSyscall("sendfile") && e.ArgLong("in_fd") == fd).Sum(e => Math.Max(0, e.ArgLong("bytes")));
        long written = events.Where(e => e.IsSyscall("write") && e.ArgLong("fd") == 1).Sum(e => Math.Max(0, e.ArgLong("bytes")));
        Assert.Equal(size, readIn + copied + sent);
        Assert.Equal(size, written + copied + sent);

        var exit = Assert.Single(events, e => e.Type() == "process_exit");
        Assert.Equal(0, exit.Long("exit_code"));
    }

    [Fact]
    public async Task Cat_with_stdout_to_a_pipe_shows_exec_open_bytes_and_exit()
    {
        var run = await CollectorRun.RunAsync("--probes", "process,syscalls", "--stdout", "--", "/bin/cat", Hostname);
        Assert.Equal(0, run.ExitCode);
        // cat's own output shares stdout, and our lines stay whole around it.
        Assert.Contains(File.ReadAllText(Hostname).TrimEnd('\n'), run.Stdout.Split('\n'));
        AssertCatOfHostname(run.Events);
    }

    [Fact]
    public async Task Cat_with_stdout_to_a_file_shows_the_same()
    {
        var file = Path.Combine(Path.GetTempPath(), $"scope-e2e-{Guid.NewGuid():N}.out");
        try
        {
            var run = await CollectorRun.RunWithStdoutToFileAsync(file, "--probes", "process,syscalls", "--stdout", "--", "/bin/cat", Hostname);
            Assert.Equal(0, run.ExitCode);
            AssertCatOfHostname(run.Events);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Output_option_writes_the_events_to_a_file_and_leaves_stdout_to_the_command()
    {
        var file = Path.Combine(Path.GetTempPath(), $"scope-e2e-{Guid.NewGuid():N}.jsonl");
        try
        {
            var run = await CollectorRun.RunAsync("--output", file, "--", "/bin/cat", Hostname);
            Assert.Equal(0, run.ExitCode);
            Assert.Equal(File.ReadAllText(Hostname), run.Stdout);
            AssertCatOfHostname(CollectorRun.ParseEvents(await File.ReadAllTextAsync(file)));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Children_of_a_shell_are_followed_and_its_exit_code_is_returned()
    {
        var run = await CollectorRun.RunAsync("--stdout", "--", "sh", "-c", $"cat {Hostname}; exit 7");
        Assert.Equal(7, run.ExitCode);
        var events = run.Events;
        var shExec = Assert.Single(events, e => e.Type() == "process_exec" && e.Str("comm") == "sh");
        var catExec = Assert.Single(events, e => e.Type() == "process_exec" && e.Str("comm") == "cat");
        Assert.NotEqual(shExec.Pid(), catExec.Pid());
        Assert.Equal(shExec.Pid(), catExec.Long("ppid"));
        var fork = Assert.Single(events, e => e.Type() == "process_fork" && e.Long("child_pid") == catExec.Pid());
        Assert.Equal(shExec.Pid(), fork.Pid());
        Assert.Equal(0, Assert.Single(events, e => e.Type() == "process_exit" && e.Pid() == catExec.Pid()).Long("exit_code"));
        Assert.Equal(7, Assert.Single(events, e => e.Type() == "process_exit" && e.Pid() == shExec.Pid()).Long("exit_code"));
        Assert.Contains(events, e => e.Pid() == catExec.Pid() && e.IsSyscall("openat") && e.Args().Str("path") == Hostname);
    }

    [Fact]
    public async Task Without_following_children_only_the_command_itself_is_traced()
    {
        var run = await CollectorRun.RunAsync("--no-follow-children", "--", "sh", "-c", $"cat {Hostname} >/dev/null; exit 3");
        Assert.Equal(3, run.ExitCode);
        var sh = Assert.Single(run.Events, e => e.Type() == "process_exec").Pid();
        Assert.All(run.Events, e => Assert.Equal(sh, e.Pid()));
        Assert.Contains(run.Events, e => e.Type() == "process_fork");
    }

    [Fact]
    public async Task Exact_syscall_counts_match_what_the_program_did()
    {
        // dd copies 137 one-byte blocks: 137 reads of 1 byte and 137 writes, nothing more on fd 1.
        var run = await CollectorRun.RunAsync("--", "dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=137", "status=none");
        Assert.Equal(0, run.ExitCode);
        var counts = Assert.Single(run.Events, e => e.Type() == "syscall_counts").GetProperty("counts");
        var writes = run.Events.Where(e => e.IsSyscall("write")).ToList();
        Assert.Equal(137, writes.Count);
        Assert.All(writes, w => Assert.Equal(1, w.ArgLong("bytes")));
        Assert.Equal(137, counts.GetProperty("write").Long("count"));
        Assert.Equal(0, counts.GetProperty("write").Long("errors"));
        Assert.True(counts.GetProperty("write").Long("total_ns") > 0);
        Assert.Equal(137, run.Events.Count(e => e.IsSyscall("read") && e.ArgLong("bytes") == 1));
    }

    [Fact]
    public async Task A_signal_death_is_reported_with_the_signal_and_128_plus_it_as_exit_code()
    {
        var run = await CollectorRun.RunAsync("--probes", "process", "--", "sh", "-c", "kill -9 $$");
        Assert.Equal(128 + 9, run.ExitCode);
        var exit = Assert.Single(run.Events, e => e.Type() == "process_exit");
        Assert.Equal(9, exit.Long("signal"));
        Assert.DoesNotContain(run.Events, e => e.Type() == "syscall");
    }

    [Fact]
    public async Task Counts_only_mode_counts_every_write_without_per_call_records()
    {
        var run = await CollectorRun.RunAsync("--counts-only", "--", "dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=137", "status=none");
        Assert.Equal(0, run.ExitCode);
        Assert.DoesNotContain(run.Events, e => e.Type() == "syscall");
        var counts = Assert.Single(run.Events, e => e.Type() == "syscall_counts");
        Assert.True(counts.GetProperty("enter_only").GetBoolean());
        Assert.Equal(137, counts.GetProperty("counts").GetProperty("write").Long("count"));
    }
}
