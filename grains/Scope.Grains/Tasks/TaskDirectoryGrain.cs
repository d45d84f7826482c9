using Scope.Abstractions;

namespace Scope.Grains.Tasks;

[GenerateSerializer]
internal sealed class TaskDirectoryState
{
    [Id(0)] public List<TaskEntry> Tasks { get; set; } = [];
}

/// <summary>The cluster-wide list of task ids (key "all"), persisted: what GET /api/v1/tasks walks.</summary>
internal sealed class TaskDirectoryGrain(
    [PersistentState("directory", TaskStorage.Name)] IPersistentState<TaskDirectoryState> state) : Grain, ITaskDirectoryGrain
{
    public async Task Add(string taskId, string machineId)
    {
        if (state.State.Tasks.Any(t => t.TaskId == taskId))
            return;
        state.State.Tasks.Add(new TaskEntry(taskId, machineId, DateTimeOffset.UtcNow));
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<TaskEntry>> List() => Task.FromResult<IReadOnlyList<TaskEntry>>([.. state.State.Tasks]);
}
