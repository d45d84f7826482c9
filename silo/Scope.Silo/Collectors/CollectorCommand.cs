using System.Globalization;
using System.Text.RegularExpressions;
using Scope.Events;

namespace Scope.Silo.Collectors;

/// <summary>
/// Builds the collector's argument list from validated settings. The binary is fixed and every
/// argument comes from a known option with a checked value: the silo never runs an arbitrary command.
/// </summary>
public static partial class CollectorCommand
{
    private static readonly HashSet<string> KnownProbes = ["process", "syscalls", "cuda", "python"];

    // Probe sets that attach to chosen processes only (per-process uprobes, each target's interpreter).
    private static readonly string[] TargetedProbes = ["cuda", "python"];

    [GeneratedRegex("^[A-Za-z0-9._-]{1,32}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z0-9._:+@-]{1,15}$")]
    private static partial Regex CommPattern();

    private static List<string> List(string s) =>
        [.. s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    /// <summary>Returns the arguments, or throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public static IReadOnlyList<string> Arguments(CollectorOptions o, string endpoint, string machineId)
    {
        var probes = List(o.Probes);
        var comms = List(o.TargetComm);
        var syscallEvents = List(o.SyscallEvents);
        var pids = new List<int>();
        foreach (var p in List(o.TargetPid))
        {
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0 || pid >= 1 << 22)
                throw new ArgumentException($"Scope:Collector:TargetPid '{p}' is not a process id");
            pids.Add(pid);
        }
        if (!endpoint.StartsWith("tcp://", StringComparison.Ordinal))
            throw new ArgumentException($"Scope:Ingest:Endpoint must be tcp://HOST:PORT for collectors, not '{endpoint}'");
        if (!IdPattern().IsMatch(o.Id))
            throw new ArgumentException($"Scope:Collector:Id '{o.Id}' must be 1-32 letters, digits, '.', '_' or '-'");
        if (!IdPattern().IsMatch(machineId))
            throw new ArgumentException($"the machine id '{machineId}' must be 1-32 letters, digits, '.', '_' or '-'");
        if (probes.Count == 0 || probes.Any(p => !KnownProbes.Contains(p)))
            throw new ArgumentException($"Scope:Collector:Probes must name some of: {string.Join(", ", KnownProbes)}");
        // CUDA probes are uprobes on each target's own CUDA libraries, and the Python sampler reads each
        // target's interpreter: for every process on the machine is never what is meant, and the
        // collector refuses it too.
        foreach (var chosen in TargetedProbes.Where(p => probes.Contains(p) && comms.Count == 0 && pids.Count == 0))
            throw new ArgumentException($"Scope:Collector:Probes '{chosen}' traces chosen processes only: set Scope:Collector:TargetComm or Scope:Collector:TargetPid");
        foreach (var c in comms.Where(c => !CommPattern().IsMatch(c)))
            throw new ArgumentException($"Scope:Collector:TargetComm '{c}' is not a command name (1-15 characters, no spaces or slashes)");
        // "all" and "none" stand alone, as the collector takes them.
        if (syscallEvents.Count > 1 && syscallEvents.Any(s => s is "all" or "none"))
            throw new ArgumentException("Scope:Collector:SyscallEvents: 'all' and 'none' stand alone, not in a list");
        foreach (var s in syscallEvents.Where(s => s is not ("all" or "none") && SyscallTable.Default.Number(s) < 0))
            throw new ArgumentException($"Scope:Collector:SyscallEvents names an unknown syscall '{s}'");
        if (o.RingbufMb is < 1 or > 1024 || (o.RingbufMb & (o.RingbufMb - 1)) != 0)
            throw new ArgumentException("Scope:Collector:RingbufMb must be a power of two from 1 to 1024");
        if (o.CountsIntervalSeconds is < 0 or > 86400)
            throw new ArgumentException("Scope:Collector:CountsIntervalSeconds must be 0 to 86400");

        var args = new List<string>
        {
            "--endpoint", endpoint,
            "--machine-id", machineId,
            "--collector-id", o.Id,
            "--probes", string.Join(',', probes),
            "--ringbuf-mb", o.RingbufMb.ToString(CultureInfo.InvariantCulture),
            "--counts-interval", o.CountsIntervalSeconds.ToString(CultureInfo.InvariantCulture),
            // If this silo dies (even kill -9), its collector stops within moments instead of tracing for no one.
            "--die-with-parent",
        };
        if (comms.Count > 0 || pids.Count > 0)
        {
            foreach (var c in comms)
                args.AddRange(["--comm", c]);
            foreach (var p in pids)
                args.AddRange(["--pid", p.ToString(CultureInfo.InvariantCulture)]);
            if (o.FollowChildren)
                args.Add("--follow-children");
            if (o.CountsOnly)
                args.Add("--counts-only");
        }
        else
        {
            args.Add("--system-wide");
            if (probes.Contains("syscalls"))
                args.Add("--counts-only");
        }
        if (syscallEvents.Count > 0)
            args.AddRange(["--syscall-events", string.Join(',', syscallEvents)]);
        return args;
    }
}
