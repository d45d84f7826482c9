using Scope.Events;

namespace Scope.Timeline;

/// <summary>What the builder holds for one thread: its track, the slices and Python points of the chunk being built, and what earlier chunks wrote.</summary>
internal sealed class ThreadTimeline(uint tid, ulong uuid)
{
    public uint Tid { get; } = tid;

    public ulong Uuid { get; } = uuid;

    /// <summary>The comm of the thread's latest record, kept as bytes: turned into text only when described.</summary>
    public Comm16 Comm;

    /// <summary>Real slices (Python calls, CUDA calls, syscalls) of the current chunk.</summary>
    public List<TimelineSlice> Slices { get; } = [];

    /// <summary>Python stacks seen in the current chunk.</summary>
    public List<PythonPoint> Points { get; } = [];

    /// <summary>The Python stack taken at a CUDA call, until that call's record (same tid and ts) arrives.</summary>
    public (ulong TsNs, ulong[] Codes)? AtCuda { get; set; }

    /// <summary>
    /// The latest-ending slices written in earlier chunks, as <see cref="SliceStrength.Written"/>: a slice
    /// that arrives late is nested against them, since they can no longer move.
    /// </summary>
    public List<TimelineSlice> History { get; set; } = [];

    /// <summary>Instants on this track in the current chunk.</summary>
    public int Instants { get; set; }

    public string Name => Comm.AsString();
}
