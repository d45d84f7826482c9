using System.Text.Json;
using Scope.Events;

namespace Scope.Timeline;

/// <summary>
/// Writes Chrome's JSON Trace Event Format (<c>{"traceEvents":[...],"displayTimeUnit":"ns"}</c>), the
/// fallback for viewers without Perfetto: slices as complete events (<c>X</c>), instants (<c>i</c>),
/// counters (<c>C</c>), flows (<c>s</c> and <c>f</c> with <c>"bp":"e"</c>) and names as metadata
/// (<c>M</c>). <c>ts</c> and <c>dur</c> are microseconds written as exact decimals of the records' ns.
/// </summary>
/// <remarks>
/// One writer makes one document: chunks share its event array and <see cref="Finish"/> closes it, so a
/// JSON file cannot be appended to later (Perfetto's format can). JSON knows processes and threads only
/// by number: two processes with one pid in one trace share a row. Flow ids are below 2^53 so that
/// JavaScript viewers read them exactly. Not thread-safe.
/// </remarks>
public sealed class JsonTraceWriter : ITraceWriter
{
    private const int FlushBytes = 1 << 16;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly Utf8JsonWriter _json;
    private readonly Dictionary<ulong, Track> _tracks = [];
    private bool _started;
    private bool _finished;
    private bool _disposed;

    /// <summary>A writer onto <paramref name="stream"/>, which it owns unless <paramref name="leaveOpen"/>.</summary>
    public JsonTraceWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _json = new Utf8JsonWriter(stream, EventJson.WriterOptions);
    }

    /// <inheritdoc/>
    public void BeginChunk() => CheckOpen();

    /// <inheritdoc/>
    public void DescribeProcess(ulong uuid, int pid, string name, string label, IReadOnlyList<string> commandLine)
    {
        // Chunks describe their tracks again; a name is written once, and again only when it changed.
        if (!Remember(uuid, new Track(pid, pid, false, label)))
            return;
        WriteMetadata("process_name"u8, pid, null, label);
    }

    /// <inheritdoc/>
    public void DescribeThread(ulong uuid, ulong processUuid, int pid, int tid, string name)
    {
        if (!Remember(uuid, new Track(pid, tid, true, name)))
            return;
        WriteMetadata("thread_name"u8, pid, tid, name);
    }

    /// <inheritdoc/>
    public void DescribeCounter(ulong uuid, ulong processUuid, string name, TraceCounterUnit unit)
    {
        // A JSON counter is named per process: its events carry the name, no metadata needed.
        CheckOpen();
        int pid = _tracks.TryGetValue(processUuid, out Track? process) ? process.Pid : 0;
        _tracks[uuid] = new Track(pid, pid, false, name);
    }

    /// <inheritdoc/>
    public void BeginSlice(in TraceSlice slice)
    {
        Track t = Find(slice.Track);
        Start("X"u8, t, slice.TsNs);
        WriteMicros("dur"u8, slice.DurNs);
        _json.WriteString("name"u8, slice.Name);
        _json.WriteString("cat"u8, slice.Category);
        WriteArgs(slice.Args);
        _json.WriteEndObject();

        // Flow events bind to the slice that encloses them on their thread at their time: this one.
        if (slice.FlowOut != 0)
            WriteFlow("s"u8, t, slice.TsNs, slice.FlowOut);
        foreach (ulong id in slice.FlowsIn)
            WriteFlow("f"u8, t, slice.TsNs, id);
        MaybeFlush();
    }

    /// <inheritdoc/>
    public void EndSlice(ulong track, ulong tsNs) => CheckOpen();

    /// <inheritdoc/>
    public void Instant(in TraceInstant instant)
    {
        Track t = Find(instant.Track);
        Start("i"u8, t, instant.TsNs);
        _json.WriteString("s"u8, t.IsThread ? "t"u8 : "p"u8);
        _json.WriteString("name"u8, instant.Name);
        _json.WriteString("cat"u8, instant.Category);
        WriteArgs(instant.Args);
        _json.WriteEndObject();
        MaybeFlush();
    }

    /// <inheritdoc/>
    public void CounterValue(ulong track, ulong tsNs, long value)
    {
        StartCounter(track, tsNs);
        _json.WriteNumber("value"u8, value);
        EndCounter();
    }

    /// <inheritdoc/>
    public void CounterValue(ulong track, ulong tsNs, double value)
    {
        StartCounter(track, tsNs);
        _json.WriteNumber("value"u8, value);
        EndCounter();
    }

    /// <inheritdoc/>
    public void EndChunk()
    {
        CheckOpen();
        _json.Flush();
        _stream.Flush();
    }

    /// <inheritdoc/>
    public void Finish()
    {
        if (_finished)
            return;
        CheckOpen();
        _json.WriteEndArray();
        _json.WriteString("displayTimeUnit"u8, "ns"u8);
        _json.WriteEndObject();
        EndChunk();
        _finished = true;
    }

    /// <summary>Writes what is buffered (without closing the document), then closes the stream unless it was left open.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _json.Flush();
        _json.Dispose();
        if (!_leaveOpen)
            _stream.Dispose();
    }

    private bool Remember(ulong uuid, Track track)
    {
        CheckOpen();
        if (_tracks.TryGetValue(uuid, out Track? known) && known == track)
            return false;
        _tracks[uuid] = track;
        return true;
    }

    private Track Find(ulong uuid)
    {
        CheckOpen();
        return _tracks.TryGetValue(uuid, out Track? t)
            ? t
            : throw new InvalidOperationException($"Track {uuid:x} was not described in this chunk.");
    }

    private void WriteMetadata(ReadOnlySpan<byte> kind, int pid, int? tid, string name)
    {
        _json.WriteStartObject();
        _json.WriteString("ph"u8, "M"u8);
        _json.WriteNumber("pid"u8, pid);
        if (tid is int t)
            _json.WriteNumber("tid"u8, t);
        _json.WriteString("name"u8, kind);
        _json.WriteStartObject("args"u8);
        _json.WriteString("name"u8, name);
        _json.WriteEndObject();
        _json.WriteEndObject();
    }

    private void Start(ReadOnlySpan<byte> phase, Track t, ulong tsNs)
    {
        _json.WriteStartObject();
        _json.WriteString("ph"u8, phase);
        _json.WriteNumber("pid"u8, t.Pid);
        _json.WriteNumber("tid"u8, t.Tid);
        WriteMicros("ts"u8, tsNs);
    }

    private void WriteFlow(ReadOnlySpan<byte> phase, Track t, ulong tsNs, ulong id)
    {
        Start(phase, t, tsNs);
        if (phase[0] == (byte)'f')
            _json.WriteString("bp"u8, "e"u8);
        _json.WriteNumber("id"u8, id);
        _json.WriteString("name"u8, "launch"u8);
        _json.WriteString("cat"u8, "cuda.flow"u8);
        _json.WriteEndObject();
    }

    private void StartCounter(ulong track, ulong tsNs)
    {
        Track t = Find(track);
        _json.WriteStartObject();
        _json.WriteString("ph"u8, "C"u8);
        _json.WriteNumber("pid"u8, t.Pid);
        WriteMicros("ts"u8, tsNs);
        _json.WriteString("name"u8, t.Name);
        _json.WriteStartObject("args"u8);
    }

    private void EndCounter()
    {
        _json.WriteEndObject();
        _json.WriteEndObject();
        MaybeFlush();
    }

    private void WriteMicros(ReadOnlySpan<byte> name, ulong ns)
    {
        Span<byte> text = stackalloc byte[Microseconds.MaxLength];
        _json.WritePropertyName(name);
        _json.WriteRawValue(text[..Microseconds.Format(ns, text)], skipInputValidation: true);
    }

    private void WriteArgs(IReadOnlyList<TraceArg> args)
    {
        if (args.Count == 0)
            return;
        _json.WriteStartObject("args"u8);
        foreach (TraceArg a in args)
        {
            switch (a.Kind)
            {
                case TraceArgKind.Bool:
                    _json.WriteBoolean(a.Name, a.BoolValue);
                    break;
                case TraceArgKind.Int:
                    _json.WriteNumber(a.Name, a.IntValue);
                    break;
                case TraceArgKind.UInt:
                    _json.WriteNumber(a.Name, a.UIntValue);
                    break;
                case TraceArgKind.Double:
                    _json.WriteNumber(a.Name, a.DoubleValue);
                    break;
                default:
                    _json.WriteString(a.Name, a.StringValue);
                    break;
            }
        }

        _json.WriteEndObject();
    }

    private void MaybeFlush()
    {
        if (_json.BytesPending >= FlushBytes)
            _json.Flush();
    }

    private void CheckOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished)
            throw new InvalidOperationException("The trace was finished.");
        if (_started)
            return;
        _started = true;
        _json.WriteStartObject();
        _json.WriteStartArray("traceEvents"u8);
    }

    private sealed record Track(int Pid, int Tid, bool IsThread, string Name);
}
