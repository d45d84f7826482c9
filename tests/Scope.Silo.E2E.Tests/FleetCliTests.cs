using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Xunit.Abstractions;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// The scope CLI's fleet commands (client/bin/scope on the client SDK, grain calls through the node's
/// gateway): `scope machines`, `scope tasks start|list|show|stop`, and a clear error when the cluster
/// cannot be reached.
/// </summary>
public sealed class FleetCliTests(FleetCliTests.FleetNode node, ITestOutputHelper output) : IClassFixture<FleetCliTests.FleetNode>
{
    public sealed class FleetNode : ScopeNode
    {
        protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
        {
            // Only task collectors run here.
            ["SCOPE__Collector__Enabled"] = "false",
        };
    }

    private async Task<(int Code, string Stdout, string Stderr)> Scope(string gateways, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(node.Repo, "client", "bin", "scope"), args)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["SCOPE_GATEWAYS"] = gateways;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        output.WriteLine($"$ scope {string.Join(' ', args)} → {p.ExitCode}\n{await stdout}{await stderr}");
        return (p.ExitCode, await stdout, await stderr);
    }

    private string Gateway => $"127.0.0.1:{node.GatewayPort.ToString(CultureInfo.InvariantCulture)}";

    private static async Task<T> Eventually<T>(Func<Task<T?>> probe, string what, int seconds = 60) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (await probe() is { } v)
                return v;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task Machines_are_listed_and_a_task_is_started_listed_and_stopped()
    {
        var machines = await Eventually(async () =>
        {
            var (code, stdout, _) = await Scope(Gateway, "machines", "--json");
            return code == 0 && stdout.Contains(node.MachineId, StringComparison.Ordinal) ? stdout : null;
        }, "this machine in `scope machines`");
        using (var doc = JsonDocument.Parse(machines))
        {
            var me = doc.RootElement.EnumerateArray().Single(m => m.GetProperty("machine_id").GetString() == node.MachineId);
            Assert.Equal(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), me.GetProperty("host").GetProperty("kernel").GetString());
        }

        var (startCode, started, _) = await Scope(Gateway, "tasks", "start", "--machine", node.MachineId, "--probes", "process,syscalls",
            "--comm", "write_n", "--label", "app=cli-test", "--json");
        Assert.Equal(0, startCode);
        string id;
        using (var doc = JsonDocument.Parse(started))
        {
            id = doc.RootElement.GetProperty("id").GetString()!;
            Assert.Equal("cli-test", doc.RootElement.GetProperty("spec").GetProperty("labels").GetProperty("app").GetString());
        }

        var (listCode, list, _) = await Scope(Gateway, "tasks", "list");
        Assert.Equal(0, listCode);
        Assert.Contains(id, list, StringComparison.Ordinal);
        Assert.Contains("app=cli-test", list, StringComparison.Ordinal);
        // Filtered on its labels, by the CLI and by the REST API.
        Assert.Contains(id, (await Scope(Gateway, "tasks", "list", "--label", "app=cli-test")).Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(id, (await Scope(Gateway, "tasks", "list", "--label", "app=other")).Stdout, StringComparison.Ordinal);
        var byLabel = await node.Http.GetStringAsync(new Uri("/api/v1/tasks?label=app=cli-test", UriKind.Relative));
        Assert.Contains(id, byLabel, StringComparison.Ordinal);
        Assert.DoesNotContain(id, await node.Http.GetStringAsync(new Uri("/api/v1/tasks?label=app=cli-test&label=env=prod", UriKind.Relative)), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await node.Http.GetAsync(new Uri("/api/v1/tasks?label=novalue", UriKind.Relative))).StatusCode);

        await Eventually(async () =>
        {
            var (_, shown, _) = await Scope(Gateway, "tasks", "show", id);
            return shown.Contains(" running", StringComparison.Ordinal) ? shown : null;
        }, "the task running");

        var (stopCode, stopped, _) = await Scope(Gateway, "tasks", "stop", id);
        Assert.Equal(0, stopCode);
        Assert.Contains($"{id}  stopped", stopped, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_spec_and_an_unreachable_cluster_get_clear_errors()
    {
        var (code, _, stderr) = await Scope(Gateway, "tasks", "start", "--machine", node.MachineId, "--probes", "process,frobnicate", "--comm", "x");
        Assert.Equal(65, code);
        Assert.Contains("probes", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await Scope(Gateway, "tasks", "start", "--machine", "no-such-machine", "--probes", "process", "--comm", "x");
        Assert.Equal(65, code);
        Assert.Contains("no machine 'no-such-machine'", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await Scope("127.0.0.1:1", "machines");
        Assert.Equal(69, code);
        Assert.Contains("cannot reach the SCOPE cluster at 127.0.0.1:1", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await Scope(Gateway, "tasks", "stop", "not-a-task-id");
        Assert.Equal(2, code);
        Assert.Contains("is not a task id", stderr, StringComparison.Ordinal);
    }
}
