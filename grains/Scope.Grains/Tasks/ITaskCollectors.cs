using Scope.Abstractions;

namespace Scope.Grains.Tasks;

/// <summary>
/// The collector processes of this silo's machine, one per monitoring task: started from the predefined
/// binary with arguments built from a validated spec, supervised (restarted with back-off, failures
/// reported to the task grain), stopped on request. Implemented by the silo, which holds the ingest
/// endpoint and the registry of collector secrets; the host agent grain calls it.
/// </summary>
public interface ITaskCollectors
{
    /// <summary>This silo's machine id: the only host agent key this silo serves.</summary>
    string MachineId { get; }

    /// <summary>What in the spec this machine cannot run; empty when it can.</summary>
    IReadOnlyList<TaskSpecError> Validate(TaskSpec spec);

    /// <summary>
    /// Starts the task's collector (or keeps the one running) and supervises it. A spec that does not
    /// validate starts nothing and comes back as errors.
    /// </summary>
    Task<TaskStartResult> StartAsync(string taskId, TaskSpec spec, CancellationToken ct);

    /// <summary>Stops the task's collector and waits for it to exit (SIGTERM, then SIGKILL after a grace period); forgets it.</summary>
    Task StopAsync(string taskId, CancellationToken ct);

    /// <summary>The task's collector as supervised now (state starting, running, restarting or failed), or null.</summary>
    TaskCollectorInfo? Find(string taskId);

    /// <summary>Forgets a collector that has failed for good.</summary>
    void Forget(string taskId);

    /// <summary>Every task collector supervised now.</summary>
    IReadOnlyList<TaskCollectorInfo> All { get; }

    /// <summary>Hostname, kernel, CPU model and count, GPUs.</summary>
    HostFacts ReadHost();
}

/// <summary>Configuration section Scope:Tasks.</summary>
public sealed class TaskAgentOptions
{
    public const string SectionName = "Scope:Tasks";

    /// <summary>How often a host agent refreshes its inventory and checks that its active tasks' collectors run.</summary>
    public int HeartbeatSeconds { get; set; } = 10;

    /// <summary>
    /// Where this machine's silo keeps state of its own (the collectors' final accounts); empty: systemd's
    /// $STATE_DIRECTORY, else .scope/state under the working directory.
    /// </summary>
    public string StateDirectory { get; set; } = "";
}

/// <summary>The grain storage provider that tasks, the task directory and host agents persist to (ADO.NET, PostgreSQL).</summary>
public static class TaskStorage
{
    public const string Name = "scope-tasks";
}
