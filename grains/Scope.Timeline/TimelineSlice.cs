namespace Scope.Timeline;

/// <summary>Which part of a thread's timeline a slice belongs to: outer layers enclose inner ones.</summary>
internal enum SliceLayer : byte
{
    Python,
    Cuda,
    Syscall,
}

/// <summary>Who gives way when two slices of one thread partially overlap: the weaker one is clipped.</summary>
internal enum SliceStrength : byte
{
    /// <summary>A Python frame derived from samples: an estimate.</summary>
    Derived,

    /// <summary>Measured by a probe (a call's entry and duration).</summary>
    Real,

    /// <summary>Already written in an earlier chunk: it can no longer change.</summary>
    Written,
}

/// <summary>One slice of one thread, as buffered until its chunk is written.</summary>
internal sealed class TimelineSlice
{
    public TimelineSlice(ulong start, ulong end, SliceLayer layer, SliceStrength strength, long seq)
    {
        Start = start;
        End = end;
        Layer = layer;
        Strength = strength;
        Seq = seq;
    }

    public ulong Start { get; }

    /// <summary>The end; the nester may move it earlier, never the start.</summary>
    public ulong End { get; set; }

    public SliceLayer Layer { get; }

    public SliceStrength Strength { get; }

    /// <summary>Arrival order: the last tie-break, so output does not depend on sort stability.</summary>
    public long Seq { get; }

    /// <summary>Clipped to nothing by the nester: not written.</summary>
    public bool Dropped { get; set; }

    public bool Clipped { get; set; }

    /// <summary>The name, when known on arrival; null when it is resolved at write time (<see cref="KernelFunc"/>, <see cref="Code"/>).</summary>
    public string? Name { get; init; }

    public string Category { get; init; } = "";

    public TraceArg[] Args { get; init; } = [];

    /// <summary>A launch's function: named when written, since its registration may come late.</summary>
    public ulong? KernelFunc { get; init; }

    /// <summary>A derived frame's code object: named when written, from the process's python_code records.</summary>
    public ulong Code { get; init; }

    public ulong FlowOut { get; set; }

    public ulong[] FlowsIn { get; set; } = [];

    /// <summary>
    /// Sorts <paramref name="slices"/> into the order in which a well-nested set of slices opens: earlier
    /// start first, then the longer, then the outer layer (a Python frame around the CUDA call it made at
    /// the same instant), then the stronger, then arrival, so output never depends on sort stability.
    /// </summary>
    /// <remarks>
    /// Sorting copies of the keys with an index, not the references, is several times faster for a
    /// chunk's hundreds of thousands of slices: no pointer chasing, and no GC write barrier on every swap.
    /// </remarks>
    public static void Sort(List<TimelineSlice> slices)
    {
        var keys = new Key[slices.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            TimelineSlice s = slices[i];
            keys[i] = new Key(s.Start, s.End, ((int)s.Layer << 8) | (255 - (int)s.Strength), s.Seq, i);
        }

        keys.AsSpan().Sort(default(KeyOrder));
        TimelineSlice[] sorted = new TimelineSlice[keys.Length];
        for (int i = 0; i < keys.Length; i++)
            sorted[i] = slices[keys[i].Index];
        sorted.CopyTo(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(slices));
    }

    private readonly record struct Key(ulong Start, ulong End, int Rank, long Seq, int Index);

    private readonly struct KeyOrder : IComparer<Key>
    {
        public int Compare(Key a, Key b)
        {
            int c = a.Start.CompareTo(b.Start);
            if (c == 0)
                c = b.End.CompareTo(a.End);
            if (c == 0)
                c = a.Rank.CompareTo(b.Rank);
            return c != 0 ? c : a.Seq.CompareTo(b.Seq);
        }
    }
}
