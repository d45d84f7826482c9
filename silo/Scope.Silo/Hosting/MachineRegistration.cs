using System.Reflection;
using Scope.Silo.Storage;

namespace Scope.Silo.Hosting;

/// <summary>Records this machine's inventory (hostname, kernel, silo version) when the silo starts.</summary>
internal sealed partial class MachineRegistration(
    LocalMachine machine, PersistenceWriter store, IGrainFactory grains, ILogger<MachineRegistration> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var versions = new Dictionary<string, string>
        {
            ["kernel"] = machine.KernelRelease,
            ["silo"] = Assembly.GetExecutingAssembly().GetName().Version?.ToString() ?? "unknown",
            ["dotnet"] = Environment.Version.ToString(),
        };
        await grains.GetGrain<Scope.Abstractions.IMachineGrain>(machine.Id).SetInventory(machine.Hostname, versions);
        // PostgreSQL may still be starting: keep trying until it answers or the silo stops.
        for (var delay = TimeSpan.FromSeconds(1); !stoppingToken.IsCancellationRequested; delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30)))
        {
            try
            {
                await store.UpsertMachineAsync(machine.Id, machine.Hostname, versions, stoppingToken);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRetry(e.Message);
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot record this machine yet: {Error}")]
    private partial void LogRetry(string error);
}
