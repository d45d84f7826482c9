namespace Scope.Silo.Collectors;

/// <summary>
/// Configuration section Scope:Collector: the local collector this silo starts and supervises. Every
/// value is validated and turned into the collector's own options; nothing here is a command line.
/// </summary>
public sealed class CollectorOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>The scope-collector binary; empty: collector-native/build/scope-collector in this checkout.</summary>
    public string Path { get; set; } = "";

    public string Id { get; set; } = "local";

    // Lists are comma-separated strings, so that one environment variable overrides a whole list.

    /// <summary>Probe sets: process, syscalls, cuda (cuda needs TargetComm or TargetPid).</summary>
    public string Probes { get; set; } = "process,syscalls";

    /// <summary>Command names to trace in detail. With none, and no pids, every process is watched in counts-only mode.</summary>
    public string TargetComm { get; set; } = "";

    public string TargetPid { get; set; } = "";

    public bool FollowChildren { get; set; } = true;

    /// <summary>Counts-only syscall tracing; always on when watching every process.</summary>
    public bool CountsOnly { get; set; }

    /// <summary>Syscalls reported one by one; empty: the collector's default set.</summary>
    public string SyscallEvents { get; set; } = "";

    public int RingbufMb { get; set; } = 8;

    public int CountsIntervalSeconds { get; set; } = 10;

    public int RestartBackoffMaxSeconds { get; set; } = 30;
}
