using System.Globalization;
using Microsoft.Extensions.Logging;
using Scope.Abstractions;

namespace Scope.Grains.Tasks;

/// <summary>The persisted state of a monitoring task.</summary>
[GenerateSerializer]
internal sealed class MonitoringTaskState
{
    [Id(0)] public TaskSpec? Spec { get; set; }
    [Id(1)] public TaskState State { get; set; }
    [Id(2)] public string Reason { get; set; } = "";
    [Id(3)] public DateTimeOffset CreatedAt { get; set; }
    [Id(4)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(5)] public List<TaskTransition> Transitions { get; set; } = [];
    [Id(6)] public TaskRestarts Restarts { get; set; } = TaskRestarts.None;
    [Id(7)] public string CollectorId { get; set; } = "";
    [Id(8)] public int? CollectorPid { get; set; }
}

/// <summary>
/// A monitoring task: its spec and its state machine (pending → starting → running → stopping →
/// stopped; failed with a reason; lost when its machine's agent cannot be reached). Control goes to
/// the machine's <see cref="IHostAgentGrain"/>; what the collector does comes back as
/// <see cref="CollectorEvent"/>s. Every change is written to grain storage before it is answered.
/// </summary>
/// <remarks>
/// Calls go one way only, so grains never wait on each other in a circle: this grain awaits the host
/// agent (start, stop); the agent answers without calling back, and the collector's events arrive
/// from the silo's supervisor outside any grain call. The agent reads tasks with <see cref="GetView"/>,
/// which interleaves.
/// </remarks>
internal sealed partial class MonitoringTaskGrain(
    [PersistentState("task", TaskStorage.Name)] IPersistentState<MonitoringTaskState> state,
    ILogger<MonitoringTaskGrain> log) : Grain, IMonitoringTaskGrain
{
    /// <summary>Transitions kept; older ones are dropped (restarts are counted separately).</summary>
    private const int MaxTransitions = 64;

    private MonitoringTaskState S => state.State;

    private string Id => this.GetPrimaryKeyString();

    public async Task<TaskView> Create(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (S.Spec is not null)
            throw new InvalidOperationException($"task {Id} exists");
        S.Spec = spec;
        S.CreatedAt = DateTimeOffset.UtcNow;
        S.CollectorId = TaskIds.CollectorId(Id);
        Move(TaskState.Pending, "created");
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ITaskDirectoryGrain>("all").Add(Id, spec.MachineId);

        TaskStartResult result;
        try
        {
            result = await GrainFactory.GetGrain<IHostAgentGrain>(spec.MachineId).StartTask(Id, spec);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogAgentUnreachable(Id, spec.MachineId, e.Message);
            Move(TaskState.Failed, $"the host agent of machine {spec.MachineId} could not start the collector: {e.Message}");
            await state.WriteStateAsync();
            return View();
        }
        if (!result.Started)
            Move(TaskState.Failed, string.Join("; ", result.Errors.Select(e => $"{e.Field}: {e.Message}")));
        else if (S.State == TaskState.Pending)
        {
            S.CollectorPid = result.Pid;
            Move(TaskState.Starting, $"collector {result.CollectorId} started (pid {result.Pid?.ToString(CultureInfo.InvariantCulture) ?? "?"})");
        }
        await state.WriteStateAsync();
        return View();
    }

    public Task<TaskView?> GetView() => Task.FromResult(S.Spec is null ? null : View());

    public async Task<TaskView> StopTask()
    {
        if (S.Spec is not { } spec)
            throw new KeyNotFoundException($"no task {Id}");
        if (S.State is TaskState.Stopped or TaskState.Failed)
            return View();
        Move(TaskState.Stopping, "stop requested");
        await state.WriteStateAsync();
        try
        {
            await GrainFactory.GetGrain<IHostAgentGrain>(spec.MachineId).StopTask(Id);
            S.CollectorPid = null;
            Move(TaskState.Stopped, "stopped on request");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogAgentUnreachable(Id, spec.MachineId, e.Message);
            Move(TaskState.Lost, $"the host agent of machine {spec.MachineId} did not answer the stop: {e.Message}");
        }
        await state.WriteStateAsync();
        return View();
    }

    public async Task Report(CollectorEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        // Stopped and failed are final: a late event from the collector's supervisor changes nothing.
        if (S.Spec is null || S.State is TaskState.Stopped or TaskState.Failed)
        {
            LogIgnored(Id, e.Kind, S.State);
            return;
        }
        switch (e.Kind)
        {
            case CollectorEventKind.Started:
                // A start while running is a new collector with no exit seen first: the silo restarted.
                if (S.State is TaskState.Pending or TaskState.Lost || (S.State == TaskState.Running && S.CollectorPid != e.Pid))
                    Move(TaskState.Starting, e.Reason);
                S.CollectorPid = e.Pid;
                break;
            case CollectorEventKind.Ready:
                if (S.State is TaskState.Pending or TaskState.Starting or TaskState.Lost)
                    Move(TaskState.Running, e.Reason);
                break;
            case CollectorEventKind.Exited:
                S.CollectorPid = null;
                S.Restarts = new TaskRestarts(S.Restarts.Count + 1, e.ExitCode, e.Signal, e.Reason, e.At);
                if (S.State != TaskState.Stopping)
                {
                    var delay = (e.RestartInSeconds ?? 0).ToString("0.#", CultureInfo.InvariantCulture);
                    Move(TaskState.Starting, $"{e.Reason}; restarting in {delay} s");
                }
                break;
            case CollectorEventKind.Failed:
                S.CollectorPid = null;
                Move(S.State == TaskState.Stopping ? TaskState.Stopped : TaskState.Failed, e.Reason);
                break;
            case CollectorEventKind.Stopped:
                S.CollectorPid = null;
                Move(TaskState.Stopped, e.Reason);
                break;
            case CollectorEventKind.HostLost:
                // Said by every core that saw the silo die: once is enough.
                if (S.State == TaskState.Lost)
                    return;
                S.CollectorPid = null;
                // A stop that was under way is done: the collector died with its silo.
                Move(S.State == TaskState.Stopping ? TaskState.Stopped : TaskState.Lost, e.Reason);
                break;
            default:
                return;
        }
        await state.WriteStateAsync();
    }

    private void Move(TaskState to, string reason)
    {
        var now = DateTimeOffset.UtcNow;
        if (S.Transitions.Count >= MaxTransitions)
            S.Transitions.RemoveRange(0, S.Transitions.Count - MaxTransitions + 1);
        S.Transitions.Add(new TaskTransition(to, now, reason));
        if (S.State != to || S.Transitions.Count == 1)
            LogMoved(Id, to, reason);
        S.State = to;
        S.Reason = reason;
        S.UpdatedAt = now;
    }

    private TaskView View() => new(
        Id, S.Spec!, S.State, S.Reason, S.CreatedAt, S.UpdatedAt, [.. S.Transitions], S.Restarts, S.CollectorId, S.CollectorPid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} is {State}: {Reason}")]
    private partial void LogMoved(string taskId, TaskState state, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: the host agent of {MachineId} failed: {Error}")]
    private partial void LogAgentUnreachable(string taskId, string machineId, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Task {TaskId}: collector event {Kind} ignored in state {State}")]
    private partial void LogIgnored(string taskId, CollectorEventKind kind, TaskState state);
}
