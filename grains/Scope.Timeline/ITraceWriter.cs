namespace Scope.Timeline;

/// <summary>
/// Where a <see cref="TimelineBuilder"/> writes: a streaming sink for one trace file, fed in chunks.
/// <see cref="PerfettoTraceWriter"/> writes Perfetto's protobuf, <see cref="JsonTraceWriter"/> Chrome's JSON.
/// </summary>
/// <remarks>
/// The calls of one chunk come in this order: <see cref="BeginChunk"/>; the descriptors of every track the
/// chunk uses (a process before its threads and counters); then the events in timestamp order; then
/// <see cref="EndChunk"/>. A chunk is self-contained: it describes again the tracks it uses, so chunks
/// can be appended to one Perfetto file. On one track, slices nest: every slice arrives twice, at its
/// begin (<see cref="BeginSlice"/>, with its duration) and at its end (<see cref="EndSlice"/>), and the
/// begins and ends of a track form a well-bracketed sequence. Writers keep no event after it is written,
/// so a trace of any size streams through them. <see cref="Finish"/> ends the document; a writer takes
/// nothing after it.
/// </remarks>
public interface ITraceWriter : IDisposable
{
    /// <summary>Starts a chunk (Perfetto: a fresh incremental state, so the chunk decodes on its own).</summary>
    void BeginChunk();

    /// <summary>A process track.</summary>
    /// <param name="uuid">The track's id, stable for the process across chunks.</param>
    /// <param name="pid">The process id.</param>
    /// <param name="name">Its short name (comm).</param>
    /// <param name="label">The name to show: comm, pid and command line.</param>
    /// <param name="commandLine">Its arguments (empty when its exec was not seen).</param>
    void DescribeProcess(ulong uuid, int pid, string name, string label, IReadOnlyList<string> commandLine);

    /// <summary>A thread track, child of its process's track.</summary>
    void DescribeThread(ulong uuid, ulong processUuid, int pid, int tid, string name);

    /// <summary>A counter track, child of its process's track.</summary>
    void DescribeCounter(ulong uuid, ulong processUuid, string name, TraceCounterUnit unit);

    /// <summary>A slice begins (see the remarks for the order).</summary>
    void BeginSlice(in TraceSlice slice);

    /// <summary>The innermost open slice of <paramref name="track"/> ends at <paramref name="tsNs"/>.</summary>
    void EndSlice(ulong track, ulong tsNs);

    /// <summary>A point event.</summary>
    void Instant(in TraceInstant instant);

    /// <summary>A counter takes an integer value (bytes), held until its next value.</summary>
    void CounterValue(ulong track, ulong tsNs, long value);

    /// <summary>A counter takes a fractional value (a rate), held until its next value.</summary>
    void CounterValue(ulong track, ulong tsNs, double value);

    /// <summary>Ends a chunk: what was written so far reaches the stream.</summary>
    void EndChunk();

    /// <summary>Ends the document (JSON: closes the event array and the object) and flushes it.</summary>
    void Finish();
}
