using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Scope.Abstractions;
using Scope.Client;

namespace Scope.Cli.Fleet;

/// <summary>
/// `scope machines` and `scope tasks …`: the cluster's machines and monitoring tasks, through the
/// client SDK (grain calls through a gateway: $SCOPE_GATEWAYS, default 127.0.0.1:30000).
/// </summary>
internal static class FleetCommands
{
    public const int Unreachable = 69; // EX_UNAVAILABLE
    public const int Refused = 65;     // EX_DATAERR

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static async Task<int> MachinesAsync(string[] args)
    {
        bool json = args.Contains("--json");
        if (args.Any(a => a != "--json"))
            return Usage($"scope machines: unknown argument '{args.First(a => a != "--json")}'");
        return await WithClient(async client =>
        {
            var machines = await client.GetMachinesAsync();
            if (json)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(machines, Json));
                return 0;
            }
            var rows = machines.Select(m => new[]
            {
                m.MachineId, m.Host.Hostname, m.Host.Kernel, m.Host.CpuCount.ToString(CultureInfo.InvariantCulture),
                m.Host.Gpus.Count.ToString(CultureInfo.InvariantCulture), m.Collectors.Count.ToString(CultureInfo.InvariantCulture),
                m.LastHeartbeat.ToString("u", CultureInfo.InvariantCulture),
            });
            Console.Out.Write(Table(["machine", "hostname", "kernel", "cpus", "gpus", "collectors", "heartbeat"], rows));
            return 0;
        });
    }

    public static async Task<int> TasksAsync(string[] args)
    {
        if (args.Length == 0)
            return Usage("scope tasks: say start, stop, list or show");
        var rest = args[1..];
        return args[0] switch
        {
            "start" => await StartAsync(rest),
            "stop" when rest.Length == 1 => await WithClient(async c => Print(await c.StopTaskAsync(rest[0]), rest[0], false)),
            "show" when rest.Length is 1 or 2 => await WithClient(async c => Print(await c.GetTaskAsync(rest[0]), rest[0], rest.Contains("--json"))),
            "list" => await ListAsync(rest),
            "stop" or "show" => Usage($"scope tasks {args[0]}: give one task id"),
            _ => Usage($"scope tasks: unknown '{string.Join(' ', args)}'"),
        };
    }

    private static async Task<int> StartAsync(string[] args)
    {
        if (!TaskStartOptions.TryParse(args, out var spec, out var json, out var error))
            return Usage("scope tasks start: " + error);
        return await WithClient(async client =>
        {
            try
            {
                var task = await client.StartTaskAsync(spec!);
                return Print(task, task.Id, json);
            }
            catch (ScopeTaskRejectedException e)
            {
                foreach (var f in e.Errors)
                    Console.Error.WriteLine($"scope tasks start: {f.Field}: {f.Message}");
                return Refused;
            }
        });
    }

    private static async Task<int> ListAsync(string[] args)
    {
        var filters = new List<string>();
        bool json = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--json")
                json = true;
            else if (args[i] == "--label" && i + 1 < args.Length)
                filters.Add(args[++i]);
            else
                return Usage($"scope tasks list: unknown argument '{args[i]}'");
        }
        if (!TaskLabels.TryParseFilter(filters, out var labels, out var error))
            return Usage("scope tasks list: --label " + error);
        return await WithClient(async c => List(await c.ListTasksAsync(labels), json));
    }

    private static int Print(TaskView? task, string id, bool json)
    {
        if (task is null)
        {
            Console.Error.WriteLine($"scope: no task {id}");
            return 1;
        }
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(task, Json));
            return 0;
        }
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{task.Id}  {task.State.ToString().ToLowerInvariant()}{(task.Reason.Length > 0 ? " (" + task.Reason + ")" : "")}  machine {task.Spec.MachineId}  probes {string.Join(',', task.Spec.Probes)}  collector {task.CollectorId}{(task.CollectorPid is { } p ? " pid " + p : "")}  restarts {task.Restarts.Count}"));
        return 0;
    }

    private static int List(IReadOnlyList<TaskView> tasks, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(tasks, Json));
            return 0;
        }
        Console.Out.Write(Table(["task", "state", "machine", "probes", "targets", "labels", "restarts"], tasks.Select(t => new[]
        {
            t.Id, t.State.ToString().ToLowerInvariant(), t.Spec.MachineId, string.Join(',', t.Spec.Probes),
            string.Join(' ', t.Spec.Targets.Comms.Select(c => "comm:" + c).Concat(t.Spec.Targets.Pids.Select(p => "pid:" + p.ToString(CultureInfo.InvariantCulture))).Concat(t.Spec.Targets.ExecPaths.Select(x => "path:" + x))),
            string.Join(',', t.Spec.Labels.Select(kv => kv.Key + "=" + kv.Value)), t.Restarts.Count.ToString(CultureInfo.InvariantCulture),
        })));
        return 0;
    }

    private static async Task<int> WithClient(Func<ScopeClient, Task<int>> action)
    {
        ScopeClient client;
        try
        {
            client = await ScopeClient.ConnectAsync();
        }
        catch (ScopeClusterUnreachableException e)
        {
            Console.Error.WriteLine("scope: " + e.Message);
            return Unreachable;
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"scope: {ScopeClientOptions.GatewaysVariable}: {e.Message}");
            return 2;
        }
        catch (ArgumentException e)
        {
            // The TLS files named by SCOPE_TLS_* are missing or not a certificate the cluster CA signed.
            Console.Error.WriteLine("scope: " + e.Message);
            return 2;
        }
        await using (client)
        {
            try
            {
                return await action(client);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine("scope: " + e.Message);
                return 2;
            }
        }
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine(message + "\n\n" + Cli.Usage);
        return 2;
    }

    private static string Table(string[] head, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { head };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, head.Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        var b = new StringBuilder();
        foreach (var r in all)
            b.AppendLine(string.Join("  ", r.Select((v, c) => c == r.Length - 1 ? v : v.PadRight(widths[c]))));
        return b.ToString();
    }
}
