using System.Globalization;
using Scope.Abstractions;

namespace Scope.Cli.Fleet;

/// <summary>`scope tasks start --machine M --probes LIST (--comm NAME | --pid N | --path P)… [--label k=v]… [--json]`.</summary>
internal static class TaskStartOptions
{
    public static bool TryParse(string[] args, out TaskSpec? spec, out bool json, out string error)
    {
        spec = null;
        json = false;
        error = "";
        string? machine = null;
        var probes = new List<string>();
        var comms = new List<string>();
        var paths = new List<string>();
        var pids = new List<int>();
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (a == "--json")
            {
                json = true;
                continue;
            }
            if (i + 1 >= args.Length)
            {
                error = $"{a} needs a value";
                return false;
            }
            string v = args[++i];
            switch (a)
            {
                case "--machine": machine = v; break;
                case "--probes": probes.AddRange(v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)); break;
                case "--comm": comms.Add(v); break;
                case "--path": paths.Add(v); break;
                case "--pid":
                    if (!int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
                    {
                        error = $"--pid '{v}' is not a process id";
                        return false;
                    }
                    pids.Add(pid);
                    break;
                case "--label":
                    int eq = v.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        error = $"--label '{v}' is not KEY=VALUE";
                        return false;
                    }
                    labels[v[..eq]] = v[(eq + 1)..];
                    break;
                default:
                    error = $"unknown option '{a}'";
                    return false;
            }
        }
        if (machine is null)
        {
            error = "--machine is required (see `scope machines`)";
            return false;
        }
        if (probes.Count == 0)
        {
            error = "--probes is required (process, syscalls, cuda, python)";
            return false;
        }
        // Every value is checked by the cluster (the machine's host agent): it knows which pids exist.
        spec = new TaskSpec(machine, probes, new TaskTargets(pids, comms, paths), TaskOptions.Default, labels);
        return true;
    }
}
