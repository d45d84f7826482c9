namespace Scope.Timeline;

/// <summary>A point event: exec and exit on a process track, a failed CUDA call on a thread track.</summary>
/// <param name="Track">A process or thread track.</param>
/// <param name="TsNs">When, boot-time ns.</param>
/// <param name="Name">The event's name.</param>
/// <param name="Category">Its category ("process", "cuda.error").</param>
/// <param name="Args">Its annotations.</param>
public readonly record struct TraceInstant(ulong Track, ulong TsNs, string Name, string Category, IReadOnlyList<TraceArg> Args);
