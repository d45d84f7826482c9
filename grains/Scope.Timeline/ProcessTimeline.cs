using Scope.Events;

namespace Scope.Timeline;

/// <summary>What the builder holds for one process (pid and start time): its name, threads, and the state its counters, names and flows need.</summary>
internal sealed class ProcessTimeline
{
    public ProcessTimeline(uint pid, ulong startNs, string comm, TimelineOptions options)
    {
        Pid = pid;
        StartNs = startNs;
        Uuid = TrackIds.Process(pid, startNs);
        Comm = comm;
        Rate = new SyscallRate(options.SyscallRateBucketNs);
        Flows = new LaunchFlows(options.MaxPendingLaunches);
        RateUuid = TrackIds.SyscallRate(Uuid);
    }

    public uint Pid { get; }

    public ulong StartNs { get; }

    public ulong Uuid { get; }

    public ulong RateUuid { get; }

    public string Comm { get; set; }

    /// <summary>Named by an exec record or by the leader thread's comm: later comms of other threads do not rename it.</summary>
    public bool NameSettled { get; set; }

    public IReadOnlyList<string> CommandLine { get; set; } = [];

    public bool Exited { get; set; }

    public Dictionary<uint, ThreadTimeline> Threads { get; } = [];

    /// <summary>Memory per device and kernel names, by the ledger's own accounting; only its device totals and names are read.</summary>
    public CudaLedger Ledger { get; } = new();

    /// <summary>Device bytes last written to each device's counter.</summary>
    public Dictionary<int, long> DeviceBytes { get; } = [];

    /// <summary>Names code objects: only python_code records are applied to it.</summary>
    public PythonProfile Codes { get; } = new();

    public LaunchFlows Flows { get; }

    public SyscallRate Rate { get; }

    /// <summary>Devices whose memory counter has values in the current chunk.</summary>
    public SortedSet<int> MemoryDevicesInChunk { get; } = [];

    /// <summary>Rate buckets were written in the current chunk.</summary>
    public bool RateInChunk { get; set; }

    /// <summary>Instants on the process track in the current chunk.</summary>
    public int Instants { get; set; }

    public string Label
    {
        get
        {
            string head = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Comm} {Pid}");
            if (CommandLine.Count == 0)
                return head;
            string command = string.Join(' ', CommandLine);
            const int MaxCommand = 200;
            return $"{head}: {(command.Length > MaxCommand ? command[..MaxCommand] + "…" : command)}";
        }
    }

    public static string MemoryCounterName(int device) =>
        device < 0 ? "GPU memory (device unknown)" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"GPU memory (device {device})");
}
