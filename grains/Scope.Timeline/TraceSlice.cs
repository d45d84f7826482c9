namespace Scope.Timeline;

/// <summary>
/// A slice as a writer receives it at its begin: its duration is already known, so a format that writes
/// complete slices (JSON <c>X</c>) needs nothing from the matching <see cref="ITraceWriter.EndSlice"/>.
/// </summary>
/// <param name="Track">The thread track it is on.</param>
/// <param name="TsNs">Its start, boot-time ns.</param>
/// <param name="DurNs">Its duration, ns (0 is allowed).</param>
/// <param name="Name">The slice's name.</param>
/// <param name="Category">Its category ("python", "python.derived", "cuda", "syscall").</param>
/// <param name="Args">Its annotations.</param>
public readonly record struct TraceSlice(ulong Track, ulong TsNs, ulong DurNs, string Name, string Category, IReadOnlyList<TraceArg> Args)
{
    /// <summary>A flow that starts at this slice (a kernel launch's arrow to its synchronize); 0 for none.</summary>
    public ulong FlowOut { get; init; }

    /// <summary>Flows that end at this slice (the launches a synchronize waited for).</summary>
    public IReadOnlyList<ulong> FlowsIn { get; init; } = [];
}
