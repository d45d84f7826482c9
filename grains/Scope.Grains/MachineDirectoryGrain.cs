using Scope.Abstractions;

namespace Scope.Grains;

/// <summary>
/// The registered machines (cluster-wide; one activation, key "all"), persisted with the task storage
/// so that a restarted core lists them before their next heartbeat.
/// </summary>
internal sealed class MachineDirectoryGrain(
    [PersistentState("machines", Tasks.TaskStorage.Name)] IPersistentState<MachineDirectoryState> state)
    : Grain, IMachineDirectoryGrain
{
    public async Task Register(string machineId)
    {
        ArgumentException.ThrowIfNullOrEmpty(machineId);
        if (state.State.Machines.Contains(machineId, StringComparer.Ordinal))
            return;
        state.State.Machines.Add(machineId);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>([.. state.State.Machines]);
}

[GenerateSerializer]
public sealed class MachineDirectoryState
{
    [Id(0)] public List<string> Machines { get; set; } = [];
}
