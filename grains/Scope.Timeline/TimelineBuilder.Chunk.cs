using Scope.Events;

namespace Scope.Timeline;

// Turning what a chunk buffered into written events.
public sealed partial class TimelineBuilder
{
    private void WriteChunk(ITraceWriter writer, bool final)
    {
        var threadSlices = new List<(ProcessTimeline P, ThreadTimeline T, List<TimelineSlice> Slices)>();
        List<ProcessTimeline> processes = [.. _processes.Values.OrderBy(p => p.Pid).ThenBy(p => p.StartNs)];
        foreach (ProcessTimeline p in processes)
        {
            // Nothing more will come for a process that exited: its held state is written now.
            bool closing = final || p.Exited;
            foreach (ThreadTimeline t in p.Threads.Values.OrderBy(t => t.Tid))
            {
                if (closing && t.AtCuda is (ulong ts, ulong[] codes))
                {
                    t.AtCuda = null;
                    t.Points.Add(new PythonPoint(ts, ts, codes, _seq++));
                }

                List<TimelineSlice> written = NestThread(t);
                if (written.Count > 0 || t.Instants > 0)
                    threadSlices.Add((p, t, written));
            }

            var rates = new List<(ulong TsNs, double PerSecond)>();
            p.Rate.Drain(closing, rates);
            foreach ((ulong ts, double perSecond) in rates)
                _counters.Add(new PendingCounter(p.RateUuid, ts, null, perSecond, _seq++));
            p.RateInChunk = rates.Count > 0;
        }

        writer.BeginChunk();
        Describe(writer, processes, threadSlices);
        var cursors = new List<ChunkCursor>(threadSlices.Count + 2);
        foreach ((ProcessTimeline p, ThreadTimeline t, List<TimelineSlice> slices) in threadSlices)
        {
            if (slices.Count > 0)
                cursors.Add(new SliceCursor(t.Uuid, slices, s => ToTrace(p, t, s)));
        }

        _instants.Sort((a, b) => a.Instant.TsNs != b.Instant.TsNs ? a.Instant.TsNs.CompareTo(b.Instant.TsNs) : a.Seq.CompareTo(b.Seq));
        _counters.Sort((a, b) => a.TsNs != b.TsNs ? a.TsNs.CompareTo(b.TsNs) : a.Seq.CompareTo(b.Seq));
        cursors.Add(new ListCursor<PendingInstant>(_instants, i => i.Instant.TsNs, (w, i) => w.Instant(i.Instant)));
        cursors.Add(new ListCursor<PendingCounter>(_counters, c => c.TsNs, WriteCounter));
        ChunkCursor.Merge(cursors, writer);
        writer.EndChunk();

        EndChunk();
    }

    private static void WriteCounter(ITraceWriter w, PendingCounter c)
    {
        if (c.Bytes is long bytes)
            w.CounterValue(c.Track, c.TsNs, bytes);
        else
            w.CounterValue(c.Track, c.TsNs, c.Rate);
    }

    // The thread's chunk: real slices, frames derived from its Python stacks, and the history that
    // earlier chunks wrote, nested together; what remains to write comes back in opening order.
    private List<TimelineSlice> NestThread(ThreadTimeline t)
    {
        if (t.Slices.Count == 0 && t.Points.Count == 0)
        {
            // An idle thread needs no protection from late slices of its own for long.
            t.History.Clear();
            return [];
        }

        var all = new List<TimelineSlice>(t.Slices.Count + t.History.Count + t.Points.Count);
        all.AddRange(t.Slices);
        PythonDerivation.Derive(t.Points, all, ref _seq);
        all.AddRange(t.History);
        SliceNester.Counts counts = SliceNester.Nest(all);
        Clipped += counts.Clipped;
        ClippedReal += counts.ClippedReal;
        Dropped += counts.Dropped;

        var written = new List<TimelineSlice>(all.Count);
        foreach (TimelineSlice s in all)
        {
            if (s.Strength != SliceStrength.Written && !s.Dropped)
                written.Add(s);
        }

        UpdateHistory(t, written);
        return written;
    }

    private void UpdateHistory(ThreadTimeline t, List<TimelineSlice> written)
    {
        // The latest-ending ones: a slice that arrives late ends late, and only those can hold its ends.
        int keep = _options.HistoryPerThread;
        var latest = new PriorityQueue<TimelineSlice, ulong>(keep + 1);
        if (keep > 0)
        {
            foreach (TimelineSlice s in t.History.Concat(written))
            {
                if (latest.Count < keep)
                    latest.Enqueue(s, s.End);
                else if (s.End > latest.Peek().End)
                    latest.DequeueEnqueue(s, s.End);
            }
        }

        t.History = [.. latest.UnorderedItems.Select(i => i.Element.Strength == SliceStrength.Written
            ? i.Element
            : new TimelineSlice(i.Element.Start, i.Element.End, i.Element.Layer, SliceStrength.Written, i.Element.Seq))];
    }

    private void Describe(ITraceWriter writer, List<ProcessTimeline> processes, List<(ProcessTimeline P, ThreadTimeline T, List<TimelineSlice> Slices)> threads)
    {
        var counterTracks = _counters.Select(c => c.Track).ToHashSet();
        int next = 0;
        foreach (ProcessTimeline p in processes)
        {
            int first = next;
            while (next < threads.Count && threads[next].P == p)
                next++;
            bool hasCounters = p.RateInChunk || p.MemoryDevicesInChunk.Count > 0;
            if (next == first && p.Instants == 0 && !hasCounters)
                continue;

            writer.DescribeProcess(p.Uuid, unchecked((int)p.Pid), p.Comm, p.Label, p.CommandLine);
            for (int i = first; i < next; i++)
            {
                ThreadTimeline t = threads[i].T;
                writer.DescribeThread(t.Uuid, p.Uuid, unchecked((int)p.Pid), unchecked((int)t.Tid), t.Name);
            }

            foreach (int device in p.MemoryDevicesInChunk)
            {
                ulong uuid = TrackIds.GpuMemory(p.Uuid, device);
                if (counterTracks.Contains(uuid))
                    writer.DescribeCounter(uuid, p.Uuid, ProcessTimeline.MemoryCounterName(device), TraceCounterUnit.Bytes);
            }

            if (p.RateInChunk)
                writer.DescribeCounter(p.RateUuid, p.Uuid, "syscalls/s", TraceCounterUnit.None);
        }
    }

    private static TraceSlice ToTrace(ProcessTimeline p, ThreadTimeline t, TimelineSlice s)
    {
        string name;
        TraceArg[] args = s.Args;
        if (s.Strength == SliceStrength.Derived)
        {
            PythonFrameName frame = p.Codes.NameOf(s.Code);
            name = frame.Function;
            args = frame.File is null ? [TraceArg.Bool("derived", true)] : [TraceArg.String("file", frame.File), TraceArg.Bool("derived", true)];
        }
        else
        {
            name = s.KernelFunc is ulong func ? p.Ledger.KernelName(func) ?? s.Name! : s.Name!;
        }

        return new TraceSlice(t.Uuid, s.Start, s.End - s.Start, name, s.Category, args) { FlowOut = s.FlowOut, FlowsIn = s.FlowsIn };
    }

    // Forget the chunk; keep what later chunks need. An exited process is gone once its last chunk is written.
    private void EndChunk()
    {
        foreach (ProcessTimeline p in _processes.Values)
        {
            p.Instants = 0;
            p.MemoryDevicesInChunk.Clear();
            p.RateInChunk = false;
            foreach (ThreadTimeline t in p.Threads.Values)
            {
                t.Slices.Clear();
                t.Points.Clear();
                t.Instants = 0;
            }
        }

        foreach (var key in _processes.Where(p => p.Value.Exited).Select(p => p.Key).ToList())
        {
            _threads -= _processes[key].Threads.Count;
            _processes.Remove(key);
        }

        _instants.Clear();
        _counters.Clear();
        BufferedEvents = 0;
        Chunks++;
    }
}
