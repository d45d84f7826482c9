using Scope.Abstractions;
using Scope.Silo.Collectors;

namespace Scope.Storage.Tests;

/// <summary>A task's spec checked and turned into collector arguments (no database: outside the PostgreSQL collection).</summary>
public sealed class TaskCommandTests
{
    private const string Endpoint = "tcp://127.0.0.1:5557";
    private const string TaskId = "0123456789abcdef0123456789abcdef";

    private static TaskSpec Spec(
        string[]? probes = null, int[]? pids = null, string[]? comms = null, string[]? paths = null,
        TaskOptions? options = null, Dictionary<string, string>? labels = null, string machine = "m1") =>
        new(machine, probes ?? ["process", "syscalls"], new TaskTargets(pids ?? [], comms ?? [], paths ?? []),
            options ?? TaskOptions.Default, labels ?? []);

    private static List<string> Fields(TaskSpec spec, Func<int, bool>? pidExists = null) =>
        [.. CollectorCommand.ValidateTask(spec, pidExists ?? (_ => true)).Select(e => e.Field)];

    private static string After(IReadOnlyList<string> args, string option) => args[args.ToList().IndexOf(option) + 1];

    [Fact]
    public void A_task_runs_the_collector_with_its_ids_targets_and_options_one_argument_each()
    {
        var spec = Spec(["process", "syscalls", "python"], pids: [42], comms: ["app"], paths: ["/opt/tools/a-very-long-program-name"],
            options: new TaskOptions(199, ["openat", "write"], CountsOnly: false, FollowChildren: false));
        var args = CollectorCommand.TaskArguments(spec, TaskId, TaskIds.CollectorId(TaskId), new CollectorOptions(), Endpoint, "m1");
        Assert.Equal(TaskId, After(args, "--task-id"));
        Assert.Equal("task-0123456789ab", After(args, "--collector-id"));
        Assert.Equal("m1", After(args, "--machine-id"));
        Assert.Equal("process,syscalls,python", After(args, "--probes"));
        Assert.Equal("42", After(args, "--pid"));
        // A path is traced by the name the kernel gives what it runs: the file name's first 15 bytes.
        Assert.Equal(["app", "a-very-long-pro"], args.Select((a, i) => (a, i)).Where(p => p.a == "--comm").Select(p => args[p.i + 1]));
        Assert.Equal("openat,write", After(args, "--syscall-events"));
        Assert.Equal("199", After(args, "--python-hz"));
        Assert.Contains("--no-follow-children", args);
        Assert.Contains("--die-with-parent", args);
        Assert.DoesNotContain("--system-wide", args);
    }

    [Fact]
    public void A_task_without_targets_watches_every_process_in_counts_only_mode()
    {
        var args = CollectorCommand.TaskArguments(Spec(), TaskId, "task-x", new CollectorOptions(), Endpoint, "m1");
        Assert.Contains("--system-wide", args);
        Assert.Contains("--counts-only", args);
        Assert.Contains(Fields(Spec(["cuda"])), f => f == "probes");
    }

    [Theory]
    [InlineData("app;id")]
    [InlineData("$(id)")]
    [InlineData("`id`")]
    [InlineData("a b")]
    [InlineData("a|b")]
    [InlineData("../x")]
    [InlineData("")]
    [InlineData("sixteen-chars-xx")]
    public void Command_names_with_shell_characters_or_too_long_are_refused(string comm) =>
        Assert.Equal(["targets.comm"], Fields(Spec(comms: [comm])));

    [Theory]
    [InlineData("/usr/bin/*")]
    [InlineData("/usr/bin/py?hon")]
    [InlineData("/usr/bin/[ab]")]
    [InlineData("relative/app")]
    [InlineData("/usr/bin/a;b")]
    [InlineData("/usr/bin/$(id)")]
    [InlineData("/usr/bin/a b")]
    [InlineData("/usr/bin/")]
    [InlineData("/usr/../bin/sh")]
    [InlineData("/usr//bin/sh")]
    public void Paths_that_are_patterns_relative_or_carry_shell_characters_are_refused(string path) =>
        Assert.Equal(["targets.exec_path"], Fields(Spec(paths: [path])));

    [Fact]
    public void Pids_must_be_running_and_in_range()
    {
        Assert.Equal(["targets.pids"], Fields(Spec(pids: [77]), pid => pid != 77));
        Assert.Equal(["targets.pids", "targets.pids"], Fields(Spec(pids: [0, 1 << 22])));
        Assert.Empty(Fields(Spec(pids: [77]), pid => pid == 77));
    }

    [Fact]
    public void Probes_options_and_labels_are_a_small_checked_set()
    {
        Assert.Equal(["probes"], Fields(Spec(["process", "gpu"])));
        Assert.Equal(["probes"], Fields(Spec([])));
        Assert.Equal(["options.python_hz"], Fields(Spec(["python"], comms: ["py"], options: TaskOptions.Default with { PythonHz = 0 })));
        Assert.Equal(["options.python_hz"], Fields(Spec(options: TaskOptions.Default with { PythonHz = 99 })));
        Assert.Equal(["options.syscall_events"], Fields(Spec(options: TaskOptions.Default with { SyscallEvents = ["all", "write"] })));
        Assert.Equal(["options.syscall_events"], Fields(Spec(options: TaskOptions.Default with { SyscallEvents = ["no_such_call"] })));
        Assert.Equal(["labels"], Fields(Spec(labels: new() { ["App"] = "x" })));
        Assert.Equal(["labels"], Fields(Spec(labels: new() { ["app"] = new string('x', 257) })));
        Assert.Equal(["labels"], Fields(Spec(labels: Enumerable.Range(0, 17).ToDictionary(i => $"k{i}", i => "v"))));
        Assert.Empty(Fields(Spec(labels: new() { ["app.name_1-x"] = new string('x', 256) })));
        Assert.Equal(["machine_id"], Fields(Spec(machine: "m;1")));
    }

    [Fact]
    public void Task_ids_are_32_lowercase_hex_digits()
    {
        Assert.True(TaskIds.IsValid(TaskIds.New()));
        Assert.False(TaskIds.IsValid(TaskId.ToUpperInvariant()));
        Assert.False(TaskIds.IsValid(TaskId[..31]));
        Assert.False(TaskIds.IsValid("0123456789abcdef0123456789abcde'"));
        Assert.Throws<ArgumentException>(() => CollectorCommand.TaskArguments(Spec(), "x;y", "task-x", new CollectorOptions(), Endpoint, "m1"));
        Assert.Throws<ArgumentException>(() => CollectorCommand.TaskArguments(Spec(machine: "m2"), TaskId, "task-x", new CollectorOptions(), Endpoint, "m1"));
    }
}
