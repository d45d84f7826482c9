namespace Scope.Timeline.Tests;

/// <summary>An <see cref="ITraceWriter"/> that keeps every call, and checks the order the interface promises.</summary>
internal sealed class RecordingWriter : ITraceWriter
{
    private readonly Dictionary<ulong, Stack<TraceSlice>> _open = [];
    private readonly HashSet<ulong> _described = [];
    private bool _inChunk;

    public List<TraceSlice> Slices { get; } = [];

    public List<TraceInstant> Instants { get; } = [];

    public List<(ulong Track, ulong TsNs, double Value)> Counters { get; } = [];

    public Dictionary<ulong, string> TrackNames { get; } = [];

    /// <summary>Every process label described, chunk after chunk.</summary>
    public List<string> ProcessLabels { get; } = [];

    public int Chunks { get; private set; }

    public bool Finished { get; private set; }

    public IEnumerable<TraceSlice> Named(string name) => Slices.Where(s => s.Name == name);

    public IEnumerable<(ulong TsNs, double Value)> Counter(string name) =>
        Counters.Where(c => TrackNames[c.Track] == name).Select(c => (c.TsNs, c.Value));

    public void BeginChunk()
    {
        Assert.False(_inChunk || Finished);
        _inChunk = true;
        _described.Clear();
    }

    public void DescribeProcess(ulong uuid, int pid, string name, string label, IReadOnlyList<string> commandLine)
    {
        Describe(uuid, label);
        ProcessLabels.Add(label);
    }

    public void DescribeThread(ulong uuid, ulong processUuid, int pid, int tid, string name)
    {
        Assert.Contains(processUuid, _described);
        Describe(uuid, name);
    }

    public void DescribeCounter(ulong uuid, ulong processUuid, string name, TraceCounterUnit unit)
    {
        Assert.Contains(processUuid, _described);
        Describe(uuid, name);
    }

    public void BeginSlice(in TraceSlice slice)
    {
        Assert.Contains(slice.Track, _described);
        if (!_open.TryGetValue(slice.Track, out var stack))
        {
            stack = new();
            _open[slice.Track] = stack;
        }

        if (stack.TryPeek(out TraceSlice parent))
            Assert.True(slice.TsNs >= parent.TsNs && slice.TsNs + slice.DurNs <= parent.TsNs + parent.DurNs, $"{slice.Name} sticks out of {parent.Name}");
        stack.Push(slice);
        Slices.Add(slice);
    }

    public void EndSlice(ulong track, ulong tsNs)
    {
        TraceSlice s = _open[track].Pop();
        Assert.Equal(s.TsNs + s.DurNs, tsNs);
    }

    public void Instant(in TraceInstant instant)
    {
        Assert.Contains(instant.Track, _described);
        Instants.Add(instant);
    }

    public void CounterValue(ulong track, ulong tsNs, long value) => CounterValue(track, tsNs, (double)value);

    public void CounterValue(ulong track, ulong tsNs, double value)
    {
        Assert.Contains(track, _described);
        Counters.Add((track, tsNs, value));
    }

    public void EndChunk()
    {
        Assert.True(_inChunk);
        Assert.All(_open.Values, s => Assert.Empty(s));
        _inChunk = false;
        Chunks++;
    }

    public void Finish()
    {
        Assert.False(_inChunk);
        Finished = true;
    }

    public void Dispose()
    {
    }

    private void Describe(ulong uuid, string name)
    {
        Assert.True(_inChunk);
        Assert.True(_described.Add(uuid), $"track {name} described twice in one chunk");
        TrackNames[uuid] = name;
    }
}
