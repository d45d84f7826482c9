using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Scope.Grains.Tasks;
using Scope.Silo.Storage;

namespace Scope.Silo.Tasks;

/// <summary>One collector run's last word (its --final-file): how many records it produced in all.</summary>
public sealed record CollectorFinalFile(
    [property: JsonPropertyName("collector_id")] string CollectorId,
    [property: JsonPropertyName("instance")] string Instance,
    [property: JsonPropertyName("machine_id")] string MachineId,
    [property: JsonPropertyName("next_event")] ulong NextEvent,
    [property: JsonPropertyName("send_drops")] ulong SendDrops,
    [property: JsonPropertyName("batches")] ulong Batches,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("at_unix_ns")] long AtUnixNs)
{
    public ulong InstanceId => ulong.Parse(Instance, NumberStyles.None, CultureInfo.InvariantCulture);
}

/// <summary>What was counted for one final file.</summary>
public sealed record CollectorFinalAccount(CollectorFinalFile File, ulong Accounted, ulong Lost);

/// <summary>
/// The records lost in flight when a silo dies. Each task collector is started with --final-file in
/// Scope:Tasks:StateDirectory/final; when its silo dies it stops too (--die-with-parent) and writes
/// there how many records it produced. A silo that sees its collector exit discards the file; the
/// next silo on the machine finds those left behind at start, compares each with what PostgreSQL
/// accounted for that run, and records the difference as the run's lost-in-flight records
/// (scope.collectors.gap_events, state 'lost').
/// </summary>
public sealed partial class CollectorFinalAccounts(
    IOptions<TaskAgentOptions> options, PersistenceWriter writer, ILogger<CollectorFinalAccounts> log) : IHostedService
{
    private long _sequence;

    public string Directory { get; } = Path.Combine(StateDirectoryOf(options.Value), "final");

    /// <summary>Scope:Tasks:StateDirectory, else systemd's $STATE_DIRECTORY (its first entry), else .scope/state.</summary>
    public static string StateDirectoryOf(TaskAgentOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (o.StateDirectory.Length > 0)
            return Path.GetFullPath(o.StateDirectory);
        if (Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } systemd)
            return Path.GetFullPath(systemd.Split(':')[0]);
        return Path.GetFullPath(Path.Combine(".scope", "state"));
    }

    /// <summary>A fresh path for the next start of a collector: never the one an earlier run left behind.</summary>
    public string NewPath(string collectorId)
    {
        if (!OperatingSystem.IsWindows())
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var n = Interlocked.Increment(ref _sequence);
        var stamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        return Path.Combine(Directory, $"{collectorId}.{stamp}.{n.ToString(CultureInfo.InvariantCulture)}.json");
    }

    public static void Discard(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    async Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        // Bounded: a database that does not answer delays nothing else; the files wait for the next start.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await AccountAllAsync(bound.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or Npgsql.NpgsqlException or IOException)
        {
            LogDeferred(Directory, e.Message);
        }
    }

    Task IHostedService.StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Accounts for every final file left in the directory, and removes each once recorded.</summary>
    public async Task<IReadOnlyList<CollectorFinalAccount>> AccountAllAsync(CancellationToken ct)
    {
        var done = new List<CollectorFinalAccount>();
        if (!System.IO.Directory.Exists(Directory))
            return done;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.json").Order(StringComparer.Ordinal))
        {
            CollectorFinalFile? file;
            try
            {
                file = JsonSerializer.Deserialize<CollectorFinalFile>(await File.ReadAllTextAsync(path, ct));
                _ = file?.InstanceId;
            }
            catch (Exception e) when (e is JsonException or FormatException or OverflowException)
            {
                file = null;
                LogUnreadable(path, e.Message);
            }
            if (file is null || file.CollectorId.Length == 0 || file.MachineId.Length == 0)
            {
                // Kept aside, not retried at every start, and not lost for a person to look at.
                File.Move(path, path + ".unreadable", overwrite: true);
                continue;
            }
            var mark = await writer.GetWatermarkAsync(file.MachineId, file.CollectorId, file.InstanceId, ct);
            var accounted = mark?.NextEvent ?? 0;
            // Records the collector dropped itself were counted by it (send_drops), not lost in flight.
            var dropped = file.SendDrops > (mark?.SendDrops ?? 0) ? file.SendDrops - (mark?.SendDrops ?? 0) : 0;
            var missing = file.NextEvent > accounted ? file.NextEvent - accounted : 0;
            var lost = missing > dropped ? missing - dropped : 0;
            await writer.RecordFinalAsync(file.MachineId, file.CollectorId, file.InstanceId, file.NextEvent, file.SendDrops, lost, ct);
            if (lost > 0)
                LogLost(file.CollectorId, file.InstanceId, file.Reason, lost, file.NextEvent, accounted);
            else
                LogComplete(file.CollectorId, file.InstanceId, file.Reason, file.NextEvent);
            File.Delete(path);
            done.Add(new CollectorFinalAccount(file, accounted, lost));
        }
        return done;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collector {Collector} ({Instance:x}) stopped with its silo ({Reason}): {Lost} records lost in flight ({Produced} produced, {Accounted} accounted for)")]
    private partial void LogLost(string collector, ulong instance, string reason, ulong lost, ulong produced, ulong accounted);

    [LoggerMessage(Level = LogLevel.Information, Message = "Collector {Collector} ({Instance:x}) stopped with its silo ({Reason}): all {Produced} records accounted for")]
    private partial void LogComplete(string collector, ulong instance, string reason, ulong produced);

    [LoggerMessage(Level = LogLevel.Error, Message = "Final account {Path} cannot be read ({Error}): kept as .unreadable")]
    private partial void LogUnreadable(string path, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Final accounts in {Directory} not counted yet ({Error}): they wait for the next start")]
    private partial void LogDeferred(string directory, string error);
}
