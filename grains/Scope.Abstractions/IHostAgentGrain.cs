namespace Scope.Abstractions;

/// <summary>
/// The agent of one machine (key: its machine id), living on that machine's own silo: it starts and
/// stops one scope-collector per monitoring task, supervises them, and reports what the machine is.
/// It keeps the ids of its active tasks persisted, and restarts their collectors when its silo starts.
/// </summary>
public interface IHostAgentGrain : IGrainWithStringKey
{
    /// <summary>What in the spec this machine cannot run (pids that do not exist, bad names, ...); empty when it can.</summary>
    Task<IReadOnlyList<TaskSpecError>> Validate(TaskSpec spec);

    /// <summary>Starts (or keeps) the task's collector. A spec this machine cannot run comes back as errors, and nothing starts.</summary>
    Task<TaskStartResult> StartTask(string taskId, TaskSpec spec);

    /// <summary>Stops the task's collector (SIGTERM, so it sends its last batch; SIGKILL after 5 s) and forgets the task.</summary>
    Task StopTask(string taskId);

    /// <summary>Hostname, kernel, CPUs, GPUs, and the task collectors running now.</summary>
    Task<HostInventory> GetInventory();

    /// <summary>Wakes the agent: the silo calls it at start, and the agent restarts the collectors of its active tasks.</summary>
    Task ResumeTasks();
}

[GenerateSerializer, Immutable]
public sealed record TaskStartResult(
    [property: Id(0)] bool Started,
    [property: Id(1)] string CollectorId,
    [property: Id(2)] int? Pid,
    [property: Id(3)] IReadOnlyList<TaskSpecError> Errors);

/// <summary>What a machine is and runs, as its host agent last saw it (LastHeartbeat).</summary>
[GenerateSerializer, Immutable]
public sealed record HostInventory(
    [property: Id(0)] string MachineId,
    [property: Id(1)] HostFacts Host,
    [property: Id(2)] IReadOnlyList<TaskCollectorInfo> Collectors,
    [property: Id(3)] DateTimeOffset LastHeartbeat,
    [property: Id(4)] DateTimeOffset StartedAt,
    [property: Id(5)] IReadOnlyList<string> ActiveTasks);

[GenerateSerializer, Immutable]
public sealed record HostFacts(
    [property: Id(0)] string Hostname,
    [property: Id(1)] string Kernel,
    [property: Id(2)] string CpuModel,
    [property: Id(3)] int CpuCount,
    [property: Id(4)] IReadOnlyList<GpuInfo> Gpus);

/// <summary>A GPU the driver lists under /proc/driver/nvidia/gpus (nvidia-smi is not used).</summary>
[GenerateSerializer, Immutable]
public sealed record GpuInfo(
    [property: Id(0)] string BusId,
    [property: Id(1)] string Model);

/// <summary>One task collector this machine supervises.</summary>
[GenerateSerializer, Immutable]
public sealed record TaskCollectorInfo(
    [property: Id(0)] string TaskId,
    [property: Id(1)] string CollectorId,
    [property: Id(2)] int? Pid,
    [property: Id(3)] string Version,
    [property: Id(4)] string State,
    [property: Id(5)] DateTimeOffset StartedAt,
    [property: Id(6)] int Restarts);
