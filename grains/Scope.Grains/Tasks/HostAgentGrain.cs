using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Scope.Abstractions;
using Scope.Grains.Placement;

namespace Scope.Grains.Tasks;

[GenerateSerializer]
internal sealed class HostAgentState
{
    /// <summary>Tasks whose collectors this machine should be running, by id.</summary>
    [Id(0)] public List<string> ActiveTasks { get; set; } = [];
}

/// <summary>
/// The agent of one machine: starts and stops the collectors of the machine's tasks through the silo's
/// <see cref="ITaskCollectors"/>, keeps the ids of the active ones persisted, and on every heartbeat
/// (and when the silo starts: <see cref="ResumeTasks"/>) makes what runs match them: a task still starting
/// or running whose collector is not supervised (the silo restarted) gets it back; one that ended is
/// dropped. It must run on its machine's own silo: it refuses to activate anywhere else.
/// </summary>
[MachinePinned(MachineKey.MachineId), Immovable]
internal sealed partial class HostAgentGrain(
    [PersistentState("agent", TaskStorage.Name)] IPersistentState<HostAgentState> state,
    ITaskCollectors collectors,
    IOptions<TaskAgentOptions> options,
    ILogger<HostAgentGrain> log) : Grain, IHostAgentGrain
{
    private HostFacts? _facts;
    private DateTimeOffset _startedAt;
    private DateTimeOffset _lastHeartbeat;
    private bool _reconciling;

    private string MachineId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        MachinePinning.EnsureOnItsMachine(this);
        // A stale directory entry or a missing placement rule could activate this grain on another
        // machine's silo, where it would start collectors on the wrong host: refuse.
        if (MachineId != collectors.MachineId)
            throw new InvalidOperationException($"the host agent of machine {MachineId} runs on that machine's silo, not on the silo of {collectors.MachineId}");
        _startedAt = _lastHeartbeat = DateTimeOffset.UtcNow;
        _facts = collectors.ReadHost();
        // The agent supervises processes for as long as its silo runs.
        DelayDeactivation(TimeSpan.FromDays(3650));
        var period = TimeSpan.FromSeconds(Math.Max(1, options.Value.HeartbeatSeconds));
        this.RegisterGrainTimer(Heartbeat, new GrainTimerCreationOptions(period, period) { KeepAlive = true });
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<TaskSpecError>> Validate(TaskSpec spec) => Task.FromResult<IReadOnlyList<TaskSpecError>>(ValidateHere(spec));

    public async Task<TaskStartResult> StartTask(string taskId, TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var errors = ValidateHere(spec);
        if (errors.Count > 0)
            return new TaskStartResult(false, TaskIds.CollectorId(taskId), null, errors);
        if (!state.State.ActiveTasks.Contains(taskId))
        {
            state.State.ActiveTasks.Add(taskId);
            await state.WriteStateAsync();
        }
        try
        {
            var result = await collectors.StartAsync(taskId, spec, CancellationToken.None);
            if (!result.Started)
                await Drop(taskId);
            return result;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogStartFailed(taskId, e.Message);
            await Drop(taskId);
            return new TaskStartResult(false, TaskIds.CollectorId(taskId), null, [new TaskSpecError("collector", e.Message)]);
        }
    }

    public async Task StopTask(string taskId)
    {
        await collectors.StopAsync(taskId, CancellationToken.None);
        await Drop(taskId);
    }

    public Task<HostInventory> GetInventory() => Task.FromResult(new HostInventory(
        MachineId, _facts ??= collectors.ReadHost(), collectors.All, _lastHeartbeat, _startedAt, [.. state.State.ActiveTasks]));

    public async Task ResumeTasks()
    {
        await Register();
        await Reconcile();
    }

    private async Task Heartbeat(CancellationToken ct)
    {
        _lastHeartbeat = DateTimeOffset.UtcNow;
        _facts = collectors.ReadHost();
        await Register();
        await Reconcile();
    }

    // Clients list machines by grain calls: the directory learns this one at start and every heartbeat.
    private Task Register() => GrainFactory.GetGrain<IMachineDirectoryGrain>(MachineDirectory.Key).Register(MachineId);

    /// <summary>Makes the supervised collectors match the active tasks.</summary>
    private async Task Reconcile()
    {
        if (_reconciling)
            return;
        _reconciling = true;
        try
        {
            foreach (var taskId in state.State.ActiveTasks.ToList())
            {
                var running = collectors.Find(taskId);
                if (running is { State: "failed" })
                {
                    // Its supervisor told the task why; nothing more will run for it.
                    collectors.Forget(taskId);
                    await Drop(taskId);
                    continue;
                }
                if (running is not null)
                    continue;
                await Restore(taskId);
            }
        }
        finally
        {
            _reconciling = false;
        }
    }

    /// <summary>An active task with no collector (after a silo restart): start it again if the task still wants it.</summary>
    private async Task Restore(string taskId)
    {
        var task = GrainFactory.GetGrain<IMonitoringTaskGrain>(taskId);
        TaskView? view;
        try
        {
            view = await task.GetView();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRestoreFailed(taskId, e.Message);
            return; // the next heartbeat tries again
        }
        // Lost: this machine's silo was declared dead while the task ran; it runs again now that the silo is back.
        if (view is null || view.Spec.MachineId != MachineId || view.State is not (TaskState.Pending or TaskState.Starting or TaskState.Running or TaskState.Lost))
        {
            await Drop(taskId);
            return;
        }
        LogRestoring(taskId, view.State);
        var result = await StartTask(taskId, view.Spec);
        if (!result.Started)
        {
            var reason = "cannot restart the collector: " + string.Join("; ", result.Errors.Select(e => $"{e.Field}: {e.Message}"));
            // Not awaited: the task may be waiting on this agent (a stop) right now.
            _ = Tell(task, taskId, new CollectorEvent(CollectorEventKind.Failed, DateTimeOffset.UtcNow, null, null, null, reason, null));
        }
    }

    private async Task Tell(IMonitoringTaskGrain task, string taskId, CollectorEvent e)
    {
        try
        {
            await task.Report(e);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReportFailed(taskId, ex.Message);
        }
    }

    private async Task Drop(string taskId)
    {
        if (state.State.ActiveTasks.Remove(taskId))
            await state.WriteStateAsync();
    }

    private List<TaskSpecError> ValidateHere(TaskSpec spec)
    {
        var errors = new List<TaskSpecError>();
        if (spec.MachineId != MachineId)
            errors.Add(new TaskSpecError("machine_id", $"is '{spec.MachineId}', but this agent serves machine '{MachineId}'"));
        errors.AddRange(collectors.Validate(spec));
        return errors;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: the collector could not start: {Error}")]
    private partial void LogStartFailed(string taskId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: cannot read the task to restore its collector: {Error}")]
    private partial void LogRestoreFailed(string taskId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: could not tell the task its collector failed: {Error}")]
    private partial void LogReportFailed(string taskId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId} is {State} but has no collector here: starting it again")]
    private partial void LogRestoring(string taskId, TaskState state);
}
