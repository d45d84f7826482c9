using System.Globalization;
using System.Text.RegularExpressions;
using Scope.Abstractions;
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

    // An executable path: absolute, and only characters no shell gives a meaning to (the basename is
    // also a command name, so the characters are the command name's and '/').
    [GeneratedRegex("^/[A-Za-z0-9._:+@/-]{1,4095}$")]
    private static partial Regex PathPattern();

    [GeneratedRegex("^[a-z0-9_.-]{1,63}$")]
    private static partial Regex LabelKeyPattern();

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

    /// <summary>Most targets of each kind a task may name.</summary>
    public const int MaxTargets = 64;

    /// <summary>Most labels a task may carry.</summary>
    public const int MaxLabels = 16;

    /// <summary>Longest label value.</summary>
    public const int MaxLabelValue = 256;

    /// <summary>
    /// What in a task's spec cannot be run, each error naming its field as the API does
    /// (<c>probes</c>, <c>targets.pids</c>, <c>targets.comm</c>, <c>targets.exec_path</c>,
    /// <c>options.python_hz</c>, <c>options.syscall_events</c>, <c>labels</c>); empty when it can.
    /// <paramref name="pidExists"/> says whether a process is running (on the machine: /proc/PID).
    /// </summary>
    public static IReadOnlyList<TaskSpecError> ValidateTask(TaskSpec spec, Func<int, bool> pidExists)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(pidExists);
        var errors = new List<TaskSpecError>();
        void Error(string field, string message) => errors.Add(new TaskSpecError(field, message));

        if (!IdPattern().IsMatch(spec.MachineId ?? ""))
            Error("machine_id", "must be 1-32 letters, digits, '.', '_' or '-'");

        var probes = spec.Probes ?? [];
        if (probes.Count == 0)
            Error("probes", $"must name at least one of: {string.Join(", ", KnownProbes)}");
        foreach (var p in probes.Where(p => !KnownProbes.Contains(p)))
            Error("probes", $"'{p}' is not a probe set; known: {string.Join(", ", KnownProbes)}");
        if (probes.Distinct(StringComparer.Ordinal).Count() != probes.Count)
            Error("probes", "names a probe set twice");

        var t = spec.Targets ?? new TaskTargets([], [], []);
        var pids = t.Pids ?? [];
        var comms = t.Comms ?? [];
        var paths = t.ExecPaths ?? [];
        if (pids.Count > MaxTargets)
            Error("targets.pids", $"at most {MaxTargets} pids");
        foreach (var pid in pids)
        {
            if (pid is <= 0 or >= 1 << 22)
                Error("targets.pids", $"{pid} is not a process id");
            else if (!pidExists(pid))
                Error("targets.pids", $"no process {pid} is running on the machine");
        }
        if (comms.Count > MaxTargets)
            Error("targets.comm", $"at most {MaxTargets} command names");
        foreach (var c in comms.Where(c => !CommPattern().IsMatch(c ?? "")))
            Error("targets.comm", $"'{c}' is not a command name: 1-15 characters of A-Z a-z 0-9 . _ : + @ - (no spaces, slashes or shell characters)");
        if (paths.Count > MaxTargets)
            Error("targets.exec_path", $"at most {MaxTargets} paths");
        foreach (var path in paths)
        {
            if (PathError(path ?? "") is { } why)
                Error("targets.exec_path", $"'{path}' {why}");
        }
        bool targeted = pids.Count > 0 || comms.Count > 0 || paths.Count > 0;
        foreach (var chosen in TargetedProbes.Where(p => probes.Contains(p) && !targeted))
            Error("probes", $"'{chosen}' traces chosen processes only: give targets.pids, targets.comm or targets.exec_path");

        var o = spec.Options ?? TaskOptions.Default;
        if (o.PythonHz is { } hz)
        {
            if (hz is < 1 or > 10000)
                Error("options.python_hz", "must be 1 to 10000 samples per second");
            else if (!probes.Contains("python"))
                Error("options.python_hz", "applies to the python probe set only");
        }
        var events = o.SyscallEvents ?? [];
        if (events.Count > 1 && events.Any(s => s is "all" or "none"))
            Error("options.syscall_events", "'all' and 'none' stand alone, not in a list");
        foreach (var s in events.Where(s => s is not ("all" or "none") && SyscallTable.Default.Number(s ?? "") < 0))
            Error("options.syscall_events", $"'{s}' is not a syscall name");

        var labels = spec.Labels ?? new Dictionary<string, string>();
        if (labels.Count > MaxLabels)
            Error("labels", $"at most {MaxLabels} labels");
        foreach (var (key, value) in labels)
        {
            if (!LabelKeyPattern().IsMatch(key ?? ""))
                Error("labels", $"'{key}' is not a label key: 1-63 characters of a-z 0-9 _ . -");
            else if (value is null || value.Length > MaxLabelValue || value.Any(char.IsControl))
                Error("labels", $"the value of '{key}' must be a string of at most {MaxLabelValue} characters without control characters");
        }
        return errors;
    }

    /// <summary>Why an executable path cannot be a target, or null when it can.</summary>
    private static string? PathError(string path)
    {
        if (path.IndexOfAny(['*', '?', '[', ']']) >= 0)
            return "is a pattern: glob patterns are not supported, give the full path of the executable";
        if (!path.StartsWith('/'))
            return "is not an absolute path";
        if (!PathPattern().IsMatch(path))
            return "must be an absolute path of A-Z a-z 0-9 . _ : + @ - and '/' only (no spaces or shell characters)";
        if (path.EndsWith('/') || path.Contains("//", StringComparison.Ordinal)
            || path.Split('/').Any(segment => segment is "." or ".."))
            return "must name a file by its plain path (no '//', '.', '..' or trailing '/')";
        return null;
    }

    /// <summary>
    /// The command name the kernel gives what <paramref name="path"/> executes: the first 15 bytes of
    /// its file name. The collector filters by it: a path target traces every program of that name.
    /// </summary>
    public static string CommOfPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = path[(path.LastIndexOf('/') + 1)..];
        return name.Length > 15 ? name[..15] : name;
    }

    /// <summary>
    /// The arguments of a task's collector, built from a spec <see cref="ValidateTask"/> accepted (it is
    /// checked again here, without the pid check: the collector refuses a missing pid itself, exit 5).
    /// Ring buffer size and counts interval come from Scope:Collector. Throws <see cref="ArgumentException"/>.
    /// </summary>
    public static IReadOnlyList<string> TaskArguments(
        TaskSpec spec, string taskId, string collectorId, CollectorOptions defaults, string endpoint, string machineId)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(defaults);
        if (ValidateTask(spec, _ => true) is { Count: > 0 } errors)
            throw new ArgumentException(string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")));
        if (!TaskIds.IsValid(taskId))
            throw new ArgumentException($"the task id '{taskId}' must be 32 lowercase hex digits");
        if (!IdPattern().IsMatch(collectorId))
            throw new ArgumentException($"the collector id '{collectorId}' must be 1-32 letters, digits, '.', '_' or '-'");
        if (!IdPattern().IsMatch(machineId))
            throw new ArgumentException($"the machine id '{machineId}' must be 1-32 letters, digits, '.', '_' or '-'");
        if (spec.MachineId != machineId)
            throw new ArgumentException($"the task is for machine '{spec.MachineId}', not this one ('{machineId}')");
        if (!endpoint.StartsWith("tcp://", StringComparison.Ordinal))
            throw new ArgumentException($"Scope:Ingest:Endpoint must be tcp://HOST:PORT for collectors, not '{endpoint}'");
        if (defaults.RingbufMb is < 1 or > 1024 || (defaults.RingbufMb & (defaults.RingbufMb - 1)) != 0)
            throw new ArgumentException("Scope:Collector:RingbufMb must be a power of two from 1 to 1024");
        if (defaults.CountsIntervalSeconds is < 0 or > 86400)
            throw new ArgumentException("Scope:Collector:CountsIntervalSeconds must be 0 to 86400");

        var o = spec.Options ?? TaskOptions.Default;
        var args = new List<string>
        {
            "--endpoint", endpoint,
            "--machine-id", machineId,
            "--collector-id", collectorId,
            "--task-id", taskId,
            "--probes", string.Join(',', spec.Probes),
            "--ringbuf-mb", defaults.RingbufMb.ToString(CultureInfo.InvariantCulture),
            "--counts-interval", defaults.CountsIntervalSeconds.ToString(CultureInfo.InvariantCulture),
            // If this silo dies (even kill -9), the collector stops instead of tracing for no one.
            "--die-with-parent",
        };
        var comms = spec.Targets.Comms.Concat(spec.Targets.ExecPaths.Select(CommOfPath)).Distinct(StringComparer.Ordinal).ToList();
        if (comms.Count > 0 || spec.Targets.Pids.Count > 0)
        {
            foreach (var c in comms)
                args.AddRange(["--comm", c]);
            foreach (var p in spec.Targets.Pids.Distinct())
                args.AddRange(["--pid", p.ToString(CultureInfo.InvariantCulture)]);
            args.Add(o.FollowChildren ? "--follow-children" : "--no-follow-children");
            if (o.CountsOnly)
                args.Add("--counts-only");
        }
        else
        {
            args.Add("--system-wide");
            if (spec.Probes.Contains("syscalls"))
                args.Add("--counts-only");
        }
        if (o.SyscallEvents is { Count: > 0 } events)
            args.AddRange(["--syscall-events", string.Join(',', events)]);
        if (o.PythonHz is { } hz)
            args.AddRange(["--python-hz", hz.ToString(CultureInfo.InvariantCulture)]);
        return args;
    }
}
