using Orleans.Concurrency;

namespace Scope.Abstractions;

/// <summary>
/// A monitoring task (key: its id, 32 lowercase hex digits, which also travels in every batch header
/// of its collector as task_id): what to watch on which machine, and where its collector stands.
/// Persisted (ADO.NET grain storage on PostgreSQL), so it survives silo restarts. docs/tasks.md.
/// </summary>
public interface IMonitoringTaskGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records the spec (already validated by the machine's host agent) and asks the host agent to
    /// start its collector. Throws <see cref="InvalidOperationException"/> when the task exists.
    /// </summary>
    Task<TaskView> Create(TaskSpec spec);

    /// <summary>The task, or null when no task has this id. Read-only, so it may interleave with a call in progress.</summary>
    [AlwaysInterleave]
    Task<TaskView?> GetView();

    /// <summary>Stops the collector and waits for it to exit; the task ends <c>stopped</c>. A task already ended is returned as it is.</summary>
    Task<TaskView> StopTask();

    /// <summary>What the host agent saw of the task's collector: started, attached, exited, failed, stopped.</summary>
    Task Report(CollectorEvent e);
}

/// <summary>Every task id, in creation order (key: "all"). Persisted: the index behind GET /api/v1/tasks.</summary>
public interface ITaskDirectoryGrain : IGrainWithStringKey
{
    Task Add(string taskId, string machineId);

    Task<IReadOnlyList<TaskEntry>> List();
}

[GenerateSerializer, Immutable]
public sealed record TaskEntry(
    [property: Id(0)] string TaskId,
    [property: Id(1)] string MachineId,
    [property: Id(2)] DateTimeOffset CreatedAt);

/// <summary>What a task watches. Every field is checked by the host agent of <see cref="MachineId"/> before anything starts.</summary>
[GenerateSerializer, Immutable]
public sealed record TaskSpec(
    [property: Id(0)] string MachineId,
    [property: Id(1)] IReadOnlyList<string> Probes,
    [property: Id(2)] TaskTargets Targets,
    [property: Id(3)] TaskOptions Options,
    [property: Id(4)] IReadOnlyDictionary<string, string> Labels);

/// <summary>
/// Processes to trace: running pids, command names (now or later), and executable paths (traced by
/// the command name the kernel gives them: the first 15 bytes of the file name; no glob patterns).
/// All empty: every process, in counts-only mode (no cuda or python probes).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TaskTargets(
    [property: Id(0)] IReadOnlyList<int> Pids,
    [property: Id(1)] IReadOnlyList<string> Comms,
    [property: Id(2)] IReadOnlyList<string> ExecPaths);

/// <summary>The collector options a task may set. Null: the collector's default.</summary>
[GenerateSerializer, Immutable]
public sealed record TaskOptions(
    [property: Id(0)] int? PythonHz,
    [property: Id(1)] IReadOnlyList<string>? SyscallEvents,
    [property: Id(2)] bool CountsOnly,
    [property: Id(3)] bool FollowChildren)
{
    public static TaskOptions Default { get; } = new(null, null, false, true);
}

/// <summary>A field of a spec that cannot be run, and why. Field names are the API's (targets.pids, labels.KEY, ...).</summary>
[GenerateSerializer, Immutable]
public sealed record TaskSpecError(
    [property: Id(0)] string Field,
    [property: Id(1)] string Message);

/// <summary>pending → starting → running → stopping → stopped; or failed (with a reason), or lost.</summary>
[GenerateSerializer]
public enum TaskState
{
    Pending = 0,
    Starting = 1,
    Running = 2,
    Stopping = 3,
    Stopped = 4,
    Failed = 5,
    Lost = 6,
}

[GenerateSerializer, Immutable]
public sealed record TaskTransition(
    [property: Id(0)] TaskState State,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string Reason);

/// <summary>How often the collector was restarted, and why the last time.</summary>
[GenerateSerializer, Immutable]
public sealed record TaskRestarts(
    [property: Id(0)] int Count,
    [property: Id(1)] int? LastExitCode,
    [property: Id(2)] int? LastSignal,
    [property: Id(3)] string LastReason,
    [property: Id(4)] DateTimeOffset? LastAt)
{
    public static TaskRestarts None { get; } = new(0, null, null, "", null);
}

[GenerateSerializer, Immutable]
public sealed record TaskView(
    [property: Id(0)] string Id,
    [property: Id(1)] TaskSpec Spec,
    [property: Id(2)] TaskState State,
    [property: Id(3)] string Reason,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset UpdatedAt,
    [property: Id(6)] IReadOnlyList<TaskTransition> Transitions,
    [property: Id(7)] TaskRestarts Restarts,
    [property: Id(8)] string CollectorId,
    [property: Id(9)] int? CollectorPid);

[GenerateSerializer]
public enum CollectorEventKind
{
    /// <summary>The process was started (Pid).</summary>
    Started = 0,

    /// <summary>The collector attached its probes.</summary>
    Ready = 1,

    /// <summary>It ended unasked and is restarted after RestartInSeconds.</summary>
    Exited = 2,

    /// <summary>It cannot run (configuration or privileges: exit 2 to 6, or it could not start): not restarted.</summary>
    Failed = 3,

    /// <summary>It ended because it was asked to.</summary>
    Stopped = 4,

    /// <summary>
    /// The silo of its machine died (seen by a core from the membership table): the collector went
    /// with it (--die-with-parent), and nothing runs for the task until that silo is back.
    /// </summary>
    HostLost = 5,
}

/// <summary>One thing the host agent saw of a task's collector.</summary>
[GenerateSerializer, Immutable]
public sealed record CollectorEvent(
    [property: Id(0)] CollectorEventKind Kind,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] int? Pid,
    [property: Id(3)] int? ExitCode,
    [property: Id(4)] int? Signal,
    [property: Id(5)] string Reason,
    [property: Id(6)] double? RestartInSeconds);

/// <summary>Task ids and the collector ids derived from them.</summary>
public static class TaskIds
{
    /// <summary>A new task id: 32 lowercase hex digits (a batch header's task_id holds 32 characters).</summary>
    public static string New() => Guid.NewGuid().ToString("N");

    /// <summary>Whether <paramref name="id"/> is 32 lowercase hex digits.</summary>
    public static bool IsValid(string? id) =>
        id is { Length: 32 } && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>The id of the task's collector in batches and in /api/v1/machines: <c>task-</c> and the first 12 digits.</summary>
    public static string CollectorId(string taskId) => "task-" + taskId[..Math.Min(12, taskId.Length)];
}
