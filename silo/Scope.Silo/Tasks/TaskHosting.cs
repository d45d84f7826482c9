using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Scope.Abstractions;
using Scope.Grains.Placement;
using Scope.Grains.Tasks;
using Scope.Silo.Hosting;

namespace Scope.Silo.Tasks;

/// <summary>Monitoring tasks: their grain storage, the task collectors of this machine, and the restart of active tasks at start-up.</summary>
public static class TaskHosting
{
    /// <summary>The ADO.NET invariant of PostgreSQL (Npgsql's provider factory).</summary>
    public const string Invariant = "Npgsql";

    /// <summary>
    /// Registers this machine's task collectors (<see cref="ITaskCollectors"/>, stopped with the silo),
    /// Scope:Tasks, the start-up resume of the host agent, and the grain storage of tasks
    /// (<see cref="AddScopeTaskStorage"/>, idempotent, so a call from the Orleans set-up as well does no harm).
    /// </summary>
    public static IHostApplicationBuilder AddScopeTasks(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<TaskAgentOptions>()
            .Bind(builder.Configuration.GetSection(TaskAgentOptions.SectionName))
            .Validate(o => o.HeartbeatSeconds is >= 1 and <= 3600, "Scope:Tasks:HeartbeatSeconds must be 1 to 3600")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<LocalMachine>();
        builder.Services.AddSingleton<CollectorFinalAccounts>();
        builder.Services.AddSingleton<TaskCollectors>();
        builder.Services.AddSingleton<ITaskCollectors>(sp => sp.GetRequiredService<TaskCollectors>());
        // A core silo hosts no machine: no collectors, no agent to wake.
        if (!string.Equals(builder.Configuration["Scope:Role"], "core", StringComparison.OrdinalIgnoreCase))
        {
            // Registered after ingest: stopped before it, so the collectors' final batches are still read.
            builder.Services.AddHostedService(sp => sp.GetRequiredService<CollectorFinalAccounts>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<TaskCollectors>());
            builder.Services.AddHostedService<TaskResume>();
        }
        if (builder.Configuration.GetScopeRole().HostsClusterWide())
            builder.Services.AddHostedService<HostLossWatch>();
        builder.UseOrleans(silo => silo.AddScopeTaskStorage(builder.Configuration));
        return builder;
    }

    /// <summary>
    /// The grain storage of monitoring tasks, the task directory and host agents: Orleans' ADO.NET
    /// provider on the PostgreSQL of Scope:Storage:ConnectionString (invariant Npgsql), with the
    /// queries and table of migration 0004_orleans_persistence.sql, and state in Orleans' binary
    /// serialization (the state types are [GenerateSerializer], version tolerant). Idempotent.
    /// </summary>
    public static ISiloBuilder AddScopeTaskStorage(this ISiloBuilder silo, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(config);
        if (silo.Services.Any(d => d.ServiceType == typeof(TaskStorageMarker)))
            return silo;
        silo.Services.AddSingleton<TaskStorageMarker>();
        silo.AddAdoNetGrainStorage(TaskStorage.Name, (OptionsBuilder<AdoNetGrainStorageOptions> ob) => ob.Configure<Serializer>((o, serializer) =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = config["Scope:Storage:ConnectionString"];
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        }));
        return silo;
    }

    private sealed class TaskStorageMarker;
}

/// <summary>
/// Wakes this machine's host agent once the silo runs, so that tasks left starting or running (the
/// silo stopped or crashed) get their collectors back. Retries until the agent answers.
/// </summary>
internal sealed partial class TaskResume(LocalMachine machine, IGrainFactory grains, ILogger<TaskResume> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var delay = TimeSpan.FromSeconds(1); !stoppingToken.IsCancellationRequested; delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30)))
        {
            try
            {
                await grains.GetGrain<IHostAgentGrain>(machine.Id).ResumeTasks();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRetry(machine.Id, e.Message, delay.TotalSeconds);
                await Task.Delay(delay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The host agent of {MachineId} did not resume its tasks ({Error}); retrying in {Seconds} s")]
    private partial void LogRetry(string machineId, string error, double seconds);
}
