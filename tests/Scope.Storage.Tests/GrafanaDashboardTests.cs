using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using Scope.Abstractions;
using Scope.Silo.Storage;

namespace Scope.Storage.Tests;

/// <summary>
/// The shipped Grafana dashboard (dashboards/scope-process.json) against the real schema. Grafana is not
/// installed here, so this test does Grafana's part the way FACTS.md describes it: it expands
/// $__timeFilter(col) to col BETWEEN '&lt;RFC3339&gt;' AND '&lt;RFC3339&gt;' and the dashboard's variables, and runs
/// every panel's SQL on data written by the silo's own writers.
/// </summary>
[Collection(PostgresGroup.Name)]
public sealed partial class GrafanaDashboardTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    private static readonly string Dashboard = Path.Combine(PgServer.FindRepo(), "dashboards", "scope-process.json");

    [GeneratedRegex(@"\$__timeFilter\(([^()]*(?:\([^()]*\)[^()]*)*)\)")]
    private static partial Regex TimeFilter();

    [GeneratedRegex(@"\$(__\w+|\w+)")]
    private static partial Regex AnyVariable();

    private static string Expand(string sql, DateTimeOffset from, DateTimeOffset to, IReadOnlyDictionary<string, string> vars)
    {
        string Rfc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        sql = TimeFilter().Replace(sql, m => $"{m.Groups[1].Value} BETWEEN '{Rfc(from)}' AND '{Rfc(to)}'");
        return AnyVariable().Replace(sql, m => vars.TryGetValue(m.Groups[1].Value, out var v)
            ? v
            : throw new InvalidOperationException($"the dashboard uses ${m.Groups[1].Value}, which it does not define"));
    }

    private static async Task<List<object?[]>> PanelAsync(TestDatabase db, JsonElement dash, string title, DateTimeOffset from, DateTimeOffset to,
        IReadOnlyDictionary<string, string> vars)
    {
        var panel = dash.GetProperty("panels").EnumerateArray().Single(p => p.GetProperty("title").GetString() == title);
        var sql = panel.GetProperty("targets")[0].GetProperty("rawSql").GetString()!;
        return await Helpers.RowsAsync(db.DataSource, Expand(sql, from, to, vars));
    }

    [Fact]
    public async Task Every_panel_reads_the_process_the_variables_name_and_nothing_else()
    {
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(Dashboard));
        var dash = doc.RootElement;
        Assert.Equal("scope-process", dash.GetProperty("uid").GetString());
        var defined = dash.GetProperty("templating").GetProperty("list").EnumerateArray().Select(v => v.GetProperty("name").GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { "machine", "pid", "start_ns" }, defined);

        var machine = Helpers.NewMachine("grafana");
        // Whole seconds: the per-second panel must see the first syscalls in one second and the third in the next.
        var wall = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds());
        var run = new Run(machine, wallAtBoot: wall);
        const uint pid = 4100, other = 4200;
        const ulong start = Run.Boot + 11;

        // Events and syscall totals through the persistence writer, as ingest writes them.
        var writer = Helpers.Writer(db.DataSource);
        await writer.StartAsync(default);
        var records = new List<byte[]>
        {
            Records.Exec(Run.At(1), start, pid, "train", 1, 0, 77, "/usr/bin/python3", "python3", "train.py"),
            Records.Syscall(Run.At(2), start, pid, pid, "train", 0, 10, 1000),
            Records.Syscall(Run.At(3), start, pid, pid, "train", 0, 10, 3000),
            Records.Syscall(Run.At(1500), start, pid, pid, "train", 1, -9, 500),
            Records.CudaCall(Run.At(1600), start, pid, pid, "train", 1, 0, 0x7000_0000, 3 << 20),
            Records.Counts(Run.At(1700), start, pid, "train", false, (0, 2, 0, 4000), (1, 1, 1, 500)),
            Records.Syscall(Run.At(4), start, other, other, "other", 0, 1, 1),
        };
        Assert.True(await writer.EnqueueAsync(run.Batch(records), default));
        await Helpers.DrainAsync(writer);
        await writer.StopAsync(default);
        writer.Dispose();

        // CUDA samples through the metrics writer, as the process grain sends them.
        using (var metrics = new CudaMetricsWriter(db.DataSource, NullLogger<CudaMetricsWriter>.Instance))
        {
            await metrics.StartAsync(default);
            long Ns(DateTimeOffset t) => t.ToUnixTimeMilliseconds() * 1_000_000;
            metrics.Enqueue(new CudaMetricsSample(machine, (int)pid, start, Ns(wall.AddSeconds(2)),
                [new CudaDeviceInfo(0, 3 << 20, 3 << 20, Ns(wall.AddSeconds(2)), 1, 0)], 0, 1, 0, 0, 0, 0, 0, 1, Final: false));
            metrics.Enqueue(new CudaMetricsSample(machine, (int)pid, start, Ns(wall.AddSeconds(4)),
                [new CudaDeviceInfo(0, 1 << 20, 3 << 20, Ns(wall.AddSeconds(2)), 2, 1), new CudaDeviceInfo(1, 4096, 4096, Ns(wall.AddSeconds(4)), 1, 0)],
                0, 7, 2, 1, 0, 0, 0, 2, Final: false));
            metrics.Enqueue(new CudaMetricsSample(machine, (int)other, start, Ns(wall.AddSeconds(4)),
                [new CudaDeviceInfo(0, 999, 999, Ns(wall.AddSeconds(4)), 1, 0)], 0, 1, 0, 0, 0, 0, 0, 1, Final: false));
            await Helpers.EventuallyAsync(() => Task.FromResult(metrics.SamplesWritten == 3), "the three samples to be written");
            await metrics.StopAsync(default);
        }

        var vars = new Dictionary<string, string>
        {
            ["machine"] = machine,
            ["pid"] = pid.ToString(CultureInfo.InvariantCulture),
            ["start_ns"] = unchecked((long)start).ToString(CultureInfo.InvariantCulture),
        };
        var (from, to) = (wall.AddMinutes(-1), wall.AddMinutes(1));

        var memory = await PanelAsync(db, dash, "GPU memory by device", from, to, vars);
        Assert.Equal(
            new[] { ("device 0", 3L << 20), ("device 0", 1L << 20), ("device 1", 4096L) },
            memory.Select(r => ((string)r[1]!, (long)r[2]!)).OrderBy(r => r.Item2 == 4096).ToArray());

        var calls = await PanelAsync(db, dash, "CUDA calls, launches and errors", from, to, vars);
        Assert.Equal(new[] { (1L, 0L, 0L), (7L, 2L, 1L) },
            calls.Select(r => (Convert.ToInt64(r[1], CultureInfo.InvariantCulture), Convert.ToInt64(r[2], CultureInfo.InvariantCulture),
                Convert.ToInt64(r[3], CultureInfo.InvariantCulture))).ToArray());

        var perSecond = await PanelAsync(db, dash, "Events per second by type", from, to, vars);
        var byType = perSecond.GroupBy(r => (string)r[1]!).ToDictionary(g => g.Key, g => g.Sum(r => (long)r[2]!));
        Assert.Equal(new Dictionary<string, long> { ["process_exec"] = 1, ["syscall"] = 3, ["cuda"] = 1 }, byType);
        // Two distinct seconds for the syscalls: at 2-3 ms and at 1.5 s.
        Assert.Equal(2, perSecond.Count(r => (string)r[1]! == "syscall"));

        var syscalls = await PanelAsync(db, dash, "Syscalls (totals; nr is the x86-64 number)", from, to, vars);
        Assert.Equal(new[] { (0, 2L, 0L), (1, 1L, 1L) }, syscalls.Select(r => (Convert.ToInt32(r[0], CultureInfo.InvariantCulture), (long)r[1]!, (long)r[2]!)).ToArray());

        var processes = await PanelAsync(db, dash, "Processes on $machine", from, to, vars);
        Assert.Contains(processes, r => (string)r[0]! == $"{machine}.{pid}.{unchecked((long)start)}" && (string)r[1]! == "train");
        Assert.All(processes, r => Assert.StartsWith(machine + ".", (string)r[0]!));

        // Outside the time range the panels are empty.
        Assert.Empty(await PanelAsync(db, dash, "GPU memory by device", wall.AddHours(-3), wall.AddHours(-2), vars));
    }

    [Fact]
    public void The_provisioned_data_source_is_the_one_the_panels_name()
    {
        var yaml = File.ReadAllText(Path.Combine(PgServer.FindRepo(), "dashboards", "provisioning", "datasources", "scope.yaml"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Dashboard));
        var uids = doc.RootElement.GetProperty("panels").EnumerateArray().Select(p => p.GetProperty("datasource").GetProperty("uid").GetString()).Distinct().ToList();
        var uid = Assert.Single(uids);
        Assert.Contains($"uid: {uid}", yaml, StringComparison.Ordinal);
        Assert.Contains("type: grafana-postgresql-datasource", yaml, StringComparison.Ordinal);
    }
}
