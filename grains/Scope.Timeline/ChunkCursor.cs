namespace Scope.Timeline;

/// <summary>
/// One time-ordered stream of a chunk's events (a thread's slices, the instants, the counter values).
/// <see cref="Merge"/> interleaves the streams by timestamp, keeping each stream's own order, so the
/// writer sees the chunk in time order while each thread's begins and ends stay well bracketed.
/// </summary>
internal abstract class ChunkCursor
{
    /// <summary>The current event's timestamp (valid after <see cref="MoveNext"/> returned true).</summary>
    public ulong TsNs { get; protected set; }

    public abstract bool MoveNext();

    public abstract void Write(ITraceWriter writer);

    /// <summary>Writes every event of every cursor; at equal times, the earlier cursor in the list goes first.</summary>
    public static void Merge(List<ChunkCursor> cursors, ITraceWriter writer)
    {
        var queue = new PriorityQueue<int, (ulong TsNs, int Index)>(cursors.Count);
        for (int i = 0; i < cursors.Count; i++)
        {
            if (cursors[i].MoveNext())
                queue.Enqueue(i, (cursors[i].TsNs, i));
        }

        while (queue.TryDequeue(out int i, out _))
        {
            ChunkCursor c = cursors[i];
            c.Write(writer);
            if (c.MoveNext())
                queue.Enqueue(i, (c.TsNs, i));
        }
    }
}

/// <summary>
/// A thread's nested slices (in opening order) as begins and ends: before a slice begins, every open
/// slice that has ended by then ends, innermost first.
/// </summary>
internal sealed class SliceCursor(ulong track, List<TimelineSlice> slices, Func<TimelineSlice, TraceSlice> describe) : ChunkCursor
{
    private readonly List<TimelineSlice> _open = [];
    private int _next;
    private TimelineSlice? _begin;

    public override bool MoveNext()
    {
        if (_open.Count > 0 && (_next >= slices.Count || _open[^1].End <= slices[_next].Start))
        {
            TsNs = _open[^1].End;
            _open.RemoveAt(_open.Count - 1);
            _begin = null;
            return true;
        }

        if (_next < slices.Count)
        {
            _begin = slices[_next++];
            _open.Add(_begin);
            TsNs = _begin.Start;
            return true;
        }

        return false;
    }

    public override void Write(ITraceWriter writer)
    {
        if (_begin is null)
        {
            writer.EndSlice(track, TsNs);
            return;
        }

        TraceSlice slice = describe(_begin);
        writer.BeginSlice(slice);
    }
}

/// <summary>Events already sorted by time, one call each.</summary>
internal sealed class ListCursor<T>(List<T> items, Func<T, ulong> time, Action<ITraceWriter, T> write) : ChunkCursor
{
    private int _next = -1;

    public override bool MoveNext()
    {
        if (++_next >= items.Count)
            return false;
        TsNs = time(items[_next]);
        return true;
    }

    public override void Write(ITraceWriter writer) => write(writer, items[_next]);
}
