using Scope.Abstractions;
using Scope.Grains.Placement;

namespace Scope.Silo.Tasks;

/// <summary>
/// On core silos: when the membership table declares a machine's silo dead, and no other live silo
/// serves that machine, every task of the machine hears so (<see cref="CollectorEventKind.HostLost"/>)
/// and becomes lost. Its collectors died with the silo (--die-with-parent). When the machine's silo
/// starts again, its host agent restarts the lost tasks. Each core that sees the death says it; the
/// task takes the first.
/// </summary>
internal sealed partial class HostLossWatch(
    IClusterMembershipService membership, IGrainFactory grains, ILogger<HostLossWatch> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var handled = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                foreach (var member in snapshot.Members.Values)
                {
                    if (member.Status != SiloStatus.Dead || !handled.Add(member.SiloAddress))
                        continue;
                    if (ScopeSiloIdentity.MachineOfSiloName(member.Name) is not { } machine)
                        continue;
                    // Restarted already (a new generation is active): its agent has the tasks back.
                    if (snapshot.Members.Values.Any(m => m.Status == SiloStatus.Active && ScopeSiloIdentity.MachineOfSiloName(m.Name) == machine))
                        continue;
                    await MarkLost(machine, member.SiloAddress, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task MarkLost(string machine, SiloAddress silo, CancellationToken ct)
    {
        IReadOnlyList<TaskEntry> tasks;
        try
        {
            tasks = await grains.GetGrain<ITaskDirectoryGrain>("all").List().WaitAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(machine, "the task directory", e.Message);
            return;
        }
        var mine = tasks.Where(t => t.MachineId == machine).ToList();
        LogSiloDied(machine, silo.ToString(), mine.Count);
        var reason = $"the silo of machine {machine} ({silo}) was declared dead";
        foreach (var t in mine)
        {
            try
            {
                await grains.GetGrain<IMonitoringTaskGrain>(t.TaskId)
                    .Report(new CollectorEvent(CollectorEventKind.HostLost, DateTimeOffset.UtcNow, null, null, null, reason, null))
                    .WaitAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(machine, "task " + t.TaskId, e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The silo of machine {MachineId} ({Silo}) is dead: telling its {Tasks} task(s)")]
    private partial void LogSiloDied(string machineId, string silo, int tasks);

    [LoggerMessage(Level = LogLevel.Error, Message = "Machine {MachineId} lost: cannot reach {What}: {Error}")]
    private partial void LogFailed(string machineId, string what, string error);
}
