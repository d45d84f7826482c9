using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;

namespace Scope.Silo.E2E.Tests;

/// <summary>A node that also accepts scope-loadgen (a stand-in collector with exactly known output) under a known secret.</summary>
public class LoadNode : ScopeNode
{
    public const string LoadCollector = "loadgen";

    public string LoadMachine { get; } = "load-" + Guid.NewGuid().ToString("N")[..8];
    public string SecretFile => Path.Combine(StateDir, "loadgen.secret");

    public LoadNode()
    {
        File.WriteAllText(SecretFile, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        File.SetUnixFileMode(SecretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
    {
        ["SCOPE__Ingest__Collectors__0__Id"] = LoadCollector,
        ["SCOPE__Ingest__Collectors__0__MachineId"] = LoadMachine,
        ["SCOPE__Ingest__Collectors__0__SecretFile"] = SecretFile,
        ["SCOPE__Storage__BufferMb"] = BufferMb.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The writer's bound; a test may lower it before restarting the silo.</summary>
    public int BufferMb { get; set; } = 256;

    /// <summary>Starts scope-loadgen; its summary line comes back when it ends.</summary>
    public Process StartLoad(long events, long rate, int batchRecords = 500, int queueMb = 64, int lingerMs = 60000, int hwm = 1000)
    {
        var exe = Path.Combine(Repo, "collector-native", "build", "scope-loadgen");
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
        {
            "--endpoint", IngestEndpoint, "--collector-id", LoadCollector, "--machine-id", LoadMachine,
            "--secret-file", SecretFile, "--events", events.ToString(CultureInfo.InvariantCulture),
            "--rate", rate.ToString(CultureInfo.InvariantCulture), "--batch-records", batchRecords.ToString(CultureInfo.InvariantCulture),
            "--queue-mb", queueMb.ToString(CultureInfo.InvariantCulture), "--linger-ms", lingerMs.ToString(CultureInfo.InvariantCulture),
            "--hwm", hwm.ToString(CultureInfo.InvariantCulture),
        })
            psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    public static async Task<JsonElement> Summary(Process load)
    {
        var line = await load.StandardOutput.ReadLineAsync();
        await load.WaitForExitAsync();
        Assert.False(string.IsNullOrEmpty(line), "scope-loadgen printed no summary: " + await load.StandardError.ReadToEndAsync());
        return JsonDocument.Parse(line!).RootElement.Clone();
    }

    /// <summary>The accounting of every loadgen run, as PostgreSQL kept it.</summary>
    public sealed record Ledger(long NextEvent, long Persisted, long Gaps, long SendDrops, long PersistDrops, long Rows, bool Final);

    public static long InstanceOf(JsonElement summary) =>
        unchecked((long)ulong.Parse(summary.GetProperty("instance").GetString()!, CultureInfo.InvariantCulture));

    public async Task<Ledger> LoadLedger(long instance)
    {
        await using var db = new NpgsqlConnection(ConnectionString);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT coalesce(sum(next_event),0)::bigint, coalesce(sum(persisted_events),0)::bigint, coalesce(sum(gap_events),0)::bigint, " +
            "coalesce(sum(send_drops),0)::bigint, coalesce(sum(persist_drops),0)::bigint, coalesce(bool_and(final), false), " +
            "(SELECT count(*) FROM scope.events WHERE machine_id = $1 AND instance = $3) " +
            "FROM scope.collectors WHERE machine_id = $1 AND collector_id = $2 AND instance = $3", db);
        cmd.Parameters.AddWithValue(LoadMachine);
        cmd.Parameters.AddWithValue(LoadCollector);
        cmd.Parameters.AddWithValue(instance);
        await using var r = await cmd.ExecuteReaderAsync();
        await r.ReadAsync();
        return new Ledger(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(6), r.GetBoolean(5));
    }

    /// <summary>Waits until every record the loadgen produced is accounted for (or the time is up).</summary>
    public async Task<Ledger> SettledLedger(long instance, long produced, int seconds = 120)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        Ledger l;
        do
        {
            l = await LoadLedger(instance);
            if (l.Final && l.NextEvent >= produced)
                return l;
            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);
        return l;
    }

    public async Task<JsonElement> LoadCollectorView()
    {
        var machines = await Http.GetFromJsonAsync<JsonElement>("/api/v1/machines");
        return machines.EnumerateArray().Single(m => m.GetProperty("id").GetString() == LoadMachine)
            .GetProperty("collectors").EnumerateArray().Single(c => c.GetProperty("id").GetString() == LoadCollector);
    }
}
