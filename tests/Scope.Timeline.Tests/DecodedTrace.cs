using System.Globalization;

namespace Scope.Timeline.Tests;

/// <summary>A track descriptor as protoc decoded it.</summary>
internal sealed record DecodedTrack(ulong Uuid, string? Name, ulong? Parent, ProtoText Descriptor)
{
    public ProtoText? Process => Descriptor.One("process");

    public ProtoText? Thread => Descriptor.One("thread");

    public ProtoText? Counter => Descriptor.One("counter");
}

/// <summary>A track event as protoc decoded it, its interned name resolved.</summary>
internal sealed record DecodedEvent(
    ulong Ts,
    string Type,
    ulong Track,
    string? Name,
    IReadOnlyList<string> Categories,
    IReadOnlyDictionary<string, string> Args,
    IReadOnlyList<ulong> FlowIds,
    IReadOnlyList<ulong> TerminatingFlowIds,
    double? Counter,
    int Chunk);

/// <summary>A slice rebuilt from a track's begin and end events.</summary>
internal sealed record DecodedSlice(ulong Track, ulong Start, ulong End, string Name, string Category, int Depth, DecodedSlice? Parent, DecodedEvent Begin)
{
    public bool Encloses(DecodedSlice other) => Start <= other.Start && other.End <= End;
}

/// <summary>
/// A Perfetto trace decoded by protoc, checked the way trace_processor reads it: every packet on a
/// sequence, interned names used only after an incremental-state clear and with the flag that says
/// so, every event on a described track, and each track's begins and ends well bracketed in time order.
/// </summary>
internal sealed class DecodedTrace
{
    private DecodedTrace()
    {
    }

    public Dictionary<ulong, DecodedTrack> Tracks { get; } = [];

    public List<DecodedEvent> Events { get; } = [];

    public List<DecodedSlice> Slices { get; } = [];

    /// <summary>Packets that cleared the incremental state: one per chunk.</summary>
    public int Chunks { get; private set; }

    public static DecodedTrace Decode(byte[] bytes)
    {
        ProtoText root = ProtoText.Parse(Protoc.Decode(bytes));
        var trace = new DecodedTrace();
        var interned = new Dictionary<ulong, string>();
        bool stateValid = false;
        foreach (ProtoText packet in root.All("packet"))
        {
            Assert.NotNull(packet.UInt("trusted_packet_sequence_id"));
            ulong flags = packet.UInt("sequence_flags") ?? 0;
            if ((flags & 1) != 0)
            {
                interned.Clear();
                stateValid = true;
                trace.Chunks++;
            }

            if (packet.One("interned_data") is ProtoText data)
            {
                Assert.True(stateValid, "interned data before any incremental-state clear");
                foreach (ProtoText name in data.All("event_names"))
                {
                    ulong iid = name.UInt("iid")!.Value;
                    Assert.False(interned.ContainsKey(iid), $"iid {iid} interned twice in one chunk");
                    interned[iid] = name.Text("name")!;
                }
            }

            if (packet.One("track_descriptor") is ProtoText d)
            {
                ulong uuid = d.UInt("uuid")!.Value;
                trace.Tracks[uuid] = new DecodedTrack(uuid, d.Text("name"), d.UInt("parent_uuid"), d);
            }

            if (packet.One("track_event") is ProtoText e)
                trace.Events.Add(trace.ReadEvent(packet, e, flags, stateValid, interned));
        }

        trace.BuildSlices();
        return trace;
    }

    public IEnumerable<DecodedTrack> ThreadTracks(int tid) => Tracks.Values.Where(t => t.Thread?.Int("tid") == tid);

    public DecodedTrack ThreadTrack(int tid) => Assert.Single(ThreadTracks(tid));

    public DecodedTrack CounterTrack(string name) => Assert.Single(Tracks.Values, t => t.Counter is not null && t.Name == name);

    public IEnumerable<DecodedSlice> SlicesOn(DecodedTrack track) => Slices.Where(s => s.Track == track.Uuid);

    public IEnumerable<DecodedEvent> EventsOn(DecodedTrack track) => Events.Where(e => e.Track == track.Uuid);

    private DecodedEvent ReadEvent(ProtoText packet, ProtoText e, ulong flags, bool stateValid, Dictionary<ulong, string> interned)
    {
        ulong track = e.UInt("track_uuid")!.Value;
        Assert.True(Tracks.ContainsKey(track), $"event on track {track} before its descriptor");
        string? name = e.Text("name");
        if (e.UInt("name_iid") is ulong iid)
        {
            Assert.True(stateValid && (flags & 2) != 0, "an interned name on a packet without SEQ_NEEDS_INCREMENTAL_STATE");
            Assert.True(interned.TryGetValue(iid, out name), $"name_iid {iid} not interned in this chunk");
        }

        var args = new Dictionary<string, string>();
        foreach (ProtoText a in e.All("debug_annotations"))
        {
            ProtoText value = Assert.Single(a.Fields, f => f.Name != "name");
            args.Add(a.Text("name")!, value.Value!);
        }

        double? counter = e.Text("counter_value") is string i ? double.Parse(i, CultureInfo.InvariantCulture)
            : e.Text("double_counter_value") is string d ? double.Parse(d, CultureInfo.InvariantCulture) : null;
        return new DecodedEvent(
            packet.UInt("timestamp")!.Value,
            e.Text("type")!,
            track,
            name,
            [.. e.All("categories").Select(c => c.Value!)],
            args,
            [.. e.All("flow_ids").Select(f => ulong.Parse(f.Value!, CultureInfo.InvariantCulture))],
            [.. e.All("terminating_flow_ids").Select(f => ulong.Parse(f.Value!, CultureInfo.InvariantCulture))],
            counter,
            Chunks);
    }

    // What trace_processor does with begins and ends: it sorts events by time (keeping file order at
    // equal times), then keeps a stack per track.
    private void BuildSlices()
    {
        var open = new Dictionary<ulong, Stack<DecodedEvent>>();
        var building = new Dictionary<DecodedEvent, DecodedSlice>(ReferenceEqualityComparer.Instance);
        foreach (DecodedEvent e in Events.Where(e => e.Type is "TYPE_SLICE_BEGIN" or "TYPE_SLICE_END").OrderBy(e => e.Ts))
        {
            if (!open.TryGetValue(e.Track, out var stack))
            {
                stack = new();
                open[e.Track] = stack;
            }

            if (e.Type == "TYPE_SLICE_BEGIN")
            {
                DecodedSlice? parent = stack.Count > 0 ? building[stack.Peek()] : null;
                building[e] = new DecodedSlice(e.Track, e.Ts, ulong.MaxValue, e.Name!, e.Categories.Single(), stack.Count, parent, e);
                stack.Push(e);
                continue;
            }

            Assert.True(stack.Count > 0, $"an end without a begin on track {e.Track} at {e.Ts}");
            DecodedEvent begin = stack.Pop();
            var slice = building[begin] with { End = e.Ts };
            building[begin] = slice;
            Slices.Add(slice);
        }

        Assert.All(open.Values, s => Assert.Empty(s));

        // Parents were captured while still open; point them at the finished slices.
        var byBegin = new Dictionary<DecodedEvent, DecodedSlice>(ReferenceEqualityComparer.Instance);
        foreach (DecodedSlice s in Slices)
            byBegin[s.Begin] = s;
        for (int i = 0; i < Slices.Count; i++)
        {
            if (Slices[i].Parent is DecodedSlice p)
                Slices[i] = Slices[i] with { Parent = byBegin[p.Begin] };
        }

        foreach (DecodedSlice s in Slices)
        {
            if (s.Parent is DecodedSlice parent)
                Assert.True(parent.Encloses(s), $"{s.Name} [{s.Start},{s.End}] sticks out of {parent.Name} [{parent.Start},{parent.End}]");
        }
    }
}
