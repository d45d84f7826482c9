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
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Out.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
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
