using System.Globalization;
using System.Text.RegularExpressions;

namespace Scope.Cli.Trace;

/// <summary>What `scope trace` was asked for, checked.</summary>
internal sealed partial record TraceOptions
{
    public bool Cuda { get; init; }
    public bool Python { get; init; }
    public bool Syscalls { get; init; }
    public string Output { get; init; } = "";
    public bool Json { get; init; }
    public string? SummaryJson { get; init; }
    public int? Pid { get; init; }
    public TimeSpan? Duration { get; init; }
    public int? PythonHz { get; init; }
    public string SyscallEvents { get; init; } = "all";
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>The collector's --probes list.</summary>
    public string Probes =>
        string.Join(',', new[] { "process", Syscalls ? "syscalls" : null, Cuda ? "cuda" : null, Python ? "python" : null }.OfType<string>());

    [GeneratedRegex("^[a-z0-9_]+(,[a-z0-9_]+)*$")]
    private static partial Regex SyscallList();

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex Unsafe();

    /// <summary>Parses the arguments after "trace"; false with a one-line reason when they are wrong.</summary>
    public static bool TryParse(string[] args, string cwd, DateTime now, out TraceOptions? options, out string error)
    {
        options = null;
        error = "";
        var o = new TraceOptions();
        bool any = false, all = false;
        string? output = null;
        int i = 0;
        for (; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--")
            {
                i++;
                break;
            }
            string? Value()
            {
                if (i + 1 >= args.Length)
                    return null;
                return args[++i];
            }
            switch (a)
            {
                case "--cuda": o = o with { Cuda = true }; any = true; break;
                case "--python": o = o with { Python = true }; any = true; break;
                case "--syscalls": o = o with { Syscalls = true }; any = true; break;
                case "--all": all = true; break;
                case "--json": o = o with { Json = true }; break;
                case "-o" or "--output":
                    output = Value();
                    if (string.IsNullOrEmpty(output)) { error = $"{a} needs a file name"; return false; }
                    break;
                case "--summary-json":
                    var sj = Value();
                    if (string.IsNullOrEmpty(sj)) { error = "--summary-json needs a file name"; return false; }
                    o = o with { SummaryJson = Path.GetFullPath(sj, cwd) };
                    break;
                case "-p" or "--pid":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
                    {
                        error = $"{a} needs a process id";
                        return false;
                    }
                    if (!Directory.Exists($"/proc/{pid}"))
                    {
                        error = $"no process {pid}";
                        return false;
                    }
                    o = o with { Pid = pid };
                    break;
                case "--duration":
                    if (!double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || s <= 0 || s > 7 * 86400)
                    {
                        error = "--duration needs seconds, more than 0";
                        return false;
                    }
                    o = o with { Duration = TimeSpan.FromSeconds(s) };
                    break;
                case "--python-hz":
                    if (!int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var hz) || hz is < 1 or > 10000)
                    {
                        error = "--python-hz needs 1 to 10000";
                        return false;
                    }
                    o = o with { PythonHz = hz };
                    break;
                case "--syscall-events":
                    var list = Value();
                    if (list is null || !SyscallList().IsMatch(list))
                    {
                        error = "--syscall-events needs a comma-separated list of syscall names, all, or none";
                        return false;
                    }
                    o = o with { SyscallEvents = list };
                    break;
                default:
                    error = $"unknown option '{a}'";
                    return false;
            }
        }
        var command = args[i..].ToArray();
        if (all)
            o = o with { Cuda = true, Python = true, Syscalls = true };
        else if (!any)
            o = o with { Syscalls = true };

        if (command.Length > 0 == o.Pid is not null)
        {
            error = o.Pid is null ? "give a command after --, or -p PID" : "give either -p PID or a command, not both";
            return false;
        }
        if (command.Length > 0 && o.Duration is not null)
        {
            error = "--duration is for -p PID: a command is traced until it exits";
            return false;
        }
        if (command.Length > 0 && ResolveCommand(command[0], cwd) is null)
        {
            error = $"no such command '{command[0]}' (not an executable file, nor on PATH)";
            return false;
        }

        string name = command.Length > 0 ? Path.GetFileName(command[0]) : $"pid{o.Pid}";
        name = Unsafe().Replace(name, "_");
        output ??= $"scope-{name}-{now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.{(o.Json ? "json" : "pftrace")}";
        options = o with { Command = command, Output = Path.GetFullPath(output, cwd) };
        return true;
    }

    /// <summary>The executable a command name runs, as execvp would find it; null when there is none.</summary>
    public static string? ResolveCommand(string command, string cwd)
    {
        if (command.Contains('/', StringComparison.Ordinal))
        {
            var path = Path.GetFullPath(command, cwd);
            return IsExecutable(path) ? path : null;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(Path.GetFullPath(dir, cwd), command);
            if (IsExecutable(path))
                return path;
        }
        return null;
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
