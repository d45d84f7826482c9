using static Scope.Timeline.PerfettoFields;

namespace Scope.Timeline;

/// <summary>
/// Writes a native Perfetto trace (protobuf <c>Trace</c>: one <c>TracePacket</c> after another), the
/// format ui.perfetto.dev and trace_processor read. Timestamps are the records' boot-time ns, which is
/// the default clock of track events. Packets concatenate, so chunks, even from several writers over
/// time, may be appended to one file.
/// </summary>
/// <remarks>
/// Each chunk clears the sequence's incremental state in its first packet and interns slice and instant
/// names afresh, so it decodes without the chunks before it. Not thread-safe.
/// </remarks>
public sealed class PerfettoTraceWriter : ITraceWriter
{
    private const int OutputFlushBytes = 1 << 16;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly uint _sequenceId;
    private readonly ProtoBuffer _packet = new();
    private readonly ProtoBuffer _output = new();
    private readonly Dictionary<string, ulong> _interned = new(StringComparer.Ordinal);
    private bool _clearState = true;
    private bool _finished;
    private bool _disposed;

    /// <summary>A writer onto <paramref name="stream"/>, which it owns unless <paramref name="leaveOpen"/>.</summary>
    /// <param name="stream">Where packets go (a file opened for append, say).</param>
    /// <param name="leaveOpen">Leave the stream open on <see cref="Dispose"/>.</param>
    /// <param name="sequenceId">The packets' trusted_packet_sequence_id (any nonzero number).</param>
    public PerfettoTraceWriter(Stream stream, bool leaveOpen = false, uint sequenceId = 1)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfZero(sequenceId);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _sequenceId = sequenceId;
    }

    /// <inheritdoc/>
    public void BeginChunk()
    {
        CheckOpen();
        _interned.Clear();
        _clearState = true;
    }

    /// <inheritdoc/>
    public void DescribeProcess(ulong uuid, int pid, string name, string label, IReadOnlyList<string> commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var d = StartDescriptor(uuid, label);
        int p = _packet.BeginMessage(TrackProcess);
        _packet.Int64(ProcessPid, pid);
        foreach (string arg in commandLine)
            _packet.String(ProcessCmdline, arg);
        _packet.String(ProcessName, name);
        _packet.EndMessage(p);
        EndPacket(d);
    }

    /// <inheritdoc/>
    public void DescribeThread(ulong uuid, ulong processUuid, int pid, int tid, string name)
    {
        var d = StartDescriptor(uuid, null);
        _packet.UInt64(TrackParentUuid, processUuid);
        int t = _packet.BeginMessage(TrackThread);
        _packet.Int64(ThreadPid, pid);
        _packet.Int64(ThreadTid, tid);
        _packet.String(ThreadName, name);
        _packet.EndMessage(t);
        EndPacket(d);
    }

    /// <inheritdoc/>
    public void DescribeCounter(ulong uuid, ulong processUuid, string name, TraceCounterUnit unit)
    {
        var d = StartDescriptor(uuid, name);
        _packet.UInt64(TrackParentUuid, processUuid);
        int c = _packet.BeginMessage(TrackCounter);
        if (unit != TraceCounterUnit.None)
            _packet.UInt64(CounterUnit, unit == TraceCounterUnit.Bytes ? (ulong)UnitSizeBytes : UnitCount);
        _packet.EndMessage(c);
        EndPacket(d);
    }

    /// <inheritdoc/>
    public void BeginSlice(in TraceSlice slice)
    {
        var e = StartEvent(slice.TsNs, slice.Name, out ulong iid);
        _packet.UInt64(EventType, TypeSliceBegin);
        _packet.UInt64(EventTrackUuid, slice.Track);
        _packet.UInt64(EventNameIid, iid);
        _packet.String(EventCategories, slice.Category);
        WriteArgs(slice.Args);
        if (slice.FlowOut != 0)
            _packet.Fixed64(EventFlowIds, slice.FlowOut);
        foreach (ulong id in slice.FlowsIn)
            _packet.Fixed64(EventTerminatingFlowIds, id);
        EndPacket(e);
    }

    /// <inheritdoc/>
    public void EndSlice(ulong track, ulong tsNs)
    {
        var e = StartEvent(tsNs, null, out _);
        _packet.UInt64(EventType, TypeSliceEnd);
        _packet.UInt64(EventTrackUuid, track);
        EndPacket(e);
    }

    /// <inheritdoc/>
    public void Instant(in TraceInstant instant)
    {
        var e = StartEvent(instant.TsNs, instant.Name, out ulong iid);
        _packet.UInt64(EventType, TypeInstant);
        _packet.UInt64(EventTrackUuid, instant.Track);
        _packet.UInt64(EventNameIid, iid);
        _packet.String(EventCategories, instant.Category);
        WriteArgs(instant.Args);
        EndPacket(e);
    }

    /// <inheritdoc/>
    public void CounterValue(ulong track, ulong tsNs, long value)
    {
        var e = StartEvent(tsNs, null, out _);
        _packet.UInt64(EventType, TypeCounter);
        _packet.UInt64(EventTrackUuid, track);
        _packet.Int64(EventCounterValue, value);
        EndPacket(e);
    }

    /// <inheritdoc/>
    public void CounterValue(ulong track, ulong tsNs, double value)
    {
        var e = StartEvent(tsNs, null, out _);
        _packet.UInt64(EventType, TypeCounter);
        _packet.UInt64(EventTrackUuid, track);
        _packet.Double(EventDoubleCounterValue, value);
        EndPacket(e);
    }

    /// <inheritdoc/>
    public void EndChunk()
    {
        CheckOpen();
        Drain();
        _stream.Flush();
    }

    /// <inheritdoc/>
    public void Finish()
    {
        if (_finished)
            return;
        EndChunk();
        _finished = true;
    }

    /// <summary>Writes what is buffered, then closes the stream unless it was left open.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        if (!_finished)
        {
            Drain();
            _stream.Flush();
        }

        _disposed = true;
        if (!_leaveOpen)
            _stream.Dispose();
    }

    private (int Outer, int Inner) StartDescriptor(ulong uuid, string? name)
    {
        CheckOpen();
        _packet.Clear();
        int outer = _packet.BeginMessage(TracePacket);
        WriteSequence(needsState: false);
        int d = _packet.BeginMessage(PacketTrackDescriptor);
        _packet.UInt64(TrackUuid, uuid);
        if (name is not null)
            _packet.String(TrackName, name);
        return (outer, d);
    }

    private void EndPacket((int Outer, int Inner) slots)
    {
        _packet.EndMessage(slots.Inner);
        _packet.EndMessage(slots.Outer);
        Append();
    }

    // Track events name their slices by interned id: a name's first use in the chunk rides along in
    // this packet's interned_data, so the chunk decodes on its own.
    private (int Outer, int Inner) StartEvent(ulong tsNs, string? name, out ulong iid)
    {
        CheckOpen();
        _packet.Clear();
        int outer = _packet.BeginMessage(TracePacket);
        _packet.UInt64(PacketTimestamp, tsNs);
        iid = 0;
        if (name is not null && !_interned.TryGetValue(name, out iid))
        {
            iid = (ulong)_interned.Count + 1;
            _interned[name] = iid;
            int data = _packet.BeginMessage(PacketInternedData);
            int entry = _packet.BeginMessage(InternedEventNames);
            _packet.UInt64(InternedNameIid, iid);
            _packet.String(InternedNameName, name);
            _packet.EndMessage(entry);
            _packet.EndMessage(data);
        }

        WriteSequence(needsState: name is not null);
        int e = _packet.BeginMessage(PacketTrackEvent);
        return (outer, e);
    }

    private void WriteSequence(bool needsState)
    {
        _packet.UInt64(PacketSequenceId, _sequenceId);
        uint flags = (_clearState ? SeqIncrementalStateCleared : 0) | (needsState ? SeqNeedsIncrementalState : 0);
        _clearState = false;
        if (flags != 0)
            _packet.UInt64(PacketSequenceFlags, flags);
    }

    private void WriteArgs(IReadOnlyList<TraceArg> args)
    {
        foreach (TraceArg a in args)
        {
            int m = _packet.BeginMessage(EventDebugAnnotations);
            _packet.String(AnnotationName, a.Name);
            switch (a.Kind)
            {
                case TraceArgKind.Bool:
                    _packet.Bool(AnnotationBool, a.BoolValue);
                    break;
                case TraceArgKind.Int:
                    _packet.Int64(AnnotationInt, a.IntValue);
                    break;
                case TraceArgKind.UInt:
                    _packet.UInt64(AnnotationUInt, a.UIntValue);
                    break;
                case TraceArgKind.Double:
                    _packet.Double(AnnotationDouble, a.DoubleValue);
                    break;
                default:
                    _packet.String(AnnotationString, a.StringValue ?? "");
                    break;
            }

            _packet.EndMessage(m);
        }
    }

    private void Append()
    {
        // Packets gather in one buffer and reach the stream in large writes.
        _output.AppendRaw(_packet.Written);
        if (_output.Length >= OutputFlushBytes)
            Drain();
    }

    private void Drain()
    {
        if (_output.Length == 0)
            return;
        _stream.Write(_output.Written);
        _output.Clear();
    }

    private void CheckOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished)
            throw new InvalidOperationException("The trace was finished.");
    }
}
