namespace Scope.Silo.Traces;

/// <summary>Configuration section <c>Scope:Traces</c>: the rolling Perfetto trace kept for each monitored process.</summary>
public sealed class TraceOptions
{
    public const string SectionName = "Scope:Traces";

    /// <summary>False: no rolling files (traces are still built from stored events on request).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where the files go, one per process (its id, ".pftrace"); relative to the working directory.</summary>
    public string Directory { get; set; } = ".scope/traces";

    /// <summary>How often a process's buffered timeline is appended to its file, at most (seconds).</summary>
    public int FlushIntervalSeconds { get; set; } = 5;

    /// <summary>A process with no record for this long has its file closed and its timeline let go (it reopens on the next record).</summary>
    public int IdleCloseSeconds { get; set; } = 300;

    /// <summary>Files not written for this many days are deleted; 0 keeps them.</summary>
    public int RetentionDays { get; set; } = 7;
}
