using Scope.Cli.Fleet;
using Scope.Cli.Trace;

namespace Scope.Cli;

/// <summary>The scope command line: one verb per subcommand.</summary>
internal static class Cli
{
    public const string Usage = """
        usage: scope trace [--cuda] [--python] [--syscalls] [--all] [-o FILE] [--json]
                           [--summary-json FILE] [--python-hz N] [--syscall-events LIST]
                           (-- CMD ARGS... | -p PID [--duration S])

        Traces CMD (and the processes it starts) or a running process on this machine, with no server:
        it starts SCOPE's collector itself and writes a Perfetto trace and a summary.
          --cuda, --python, --syscalls   what to trace (process lifecycle always; none given: syscalls)
          --all                          all of them
          -o FILE                        the trace (default scope-<cmd>-<time>.pftrace, or .json)
          --json                         the trace in Chrome JSON Trace Event Format instead of Perfetto protobuf
          --summary-json FILE            the summary as JSON too
          -p PID                         attach to a running process until Ctrl-C or --duration
        It exits with CMD's exit code. Needs root (eBPF).

        usage: scope machines [--json]
               scope tasks start --machine M --probes LIST (--comm NAME | --pid N | --path P)...
                                 [--label KEY=VALUE]... [--json]
               scope tasks stop ID | scope tasks show ID [--json] | scope tasks list [--label KEY=VALUE]... [--json]

        The cluster's machines and monitoring tasks, through a gateway ($SCOPE_GATEWAYS=HOST:PORT,...;
        default 127.0.0.1:30000, the all-in-one node's; $SCOPE_CLUSTER_ID, default scope; mutual TLS with
        $SCOPE_TLS_CA, $SCOPE_TLS_CERT and $SCOPE_TLS_KEY, PEM files). Exit 69 when the cluster cannot be reached,
        65 when a task is refused.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] == "machines")
            return await FleetCommands.MachinesAsync(args[1..]);
        if (args[0] == "tasks")
            return await FleetCommands.TasksAsync(args[1..]);
        if (args[0] != "trace")
        {
            Console.Error.WriteLine($"scope: unknown command '{args[0]}'\n\n{Usage}");
            return 2;
        }
        if (!TraceOptions.TryParse(args[1..], Environment.CurrentDirectory, DateTime.Now, out var options, out var error))
        {
            Console.Error.WriteLine($"scope trace: {error}\n\n{Usage}");
            return 2;
        }
        return await TraceCommand.RunAsync(options!);
    }
}
