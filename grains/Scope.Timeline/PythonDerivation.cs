namespace Scope.Timeline;

/// <summary>
/// Python frames of one thread from the points where its stack was seen. Walking the points in time
/// order, a frame opens at the start of the first point whose stack holds it and closes at the end of
/// the last consecutive point that still does (frames are matched outermost first, by code object, so
/// a frame stays open while everything around it stays the same). Between two points nothing is known,
/// so a frame that leaves the stack ends where it was last seen: the derived slices are a lower bound
/// of the real calls.
/// </summary>
internal static class PythonDerivation
{
    /// <summary>Appends the derived slices to <paramref name="output"/>; <paramref name="points"/> gets sorted.</summary>
    /// <param name="points">The thread's points of one chunk.</param>
    /// <param name="output">Where the slices go (the thread's slices, to be nested).</param>
    /// <param name="nextSeq">Arrival numbers for the new slices.</param>
    public static void Derive(List<PythonPoint> points, List<TimelineSlice> output, ref long nextSeq)
    {
        points.Sort(PythonPoint.Compare);
        var open = new List<(ulong Code, ulong Start, long Seq)>();
        ulong lastEnd = 0;
        foreach (PythonPoint p in points)
        {
            ulong[] codes = p.Codes;
            int common = 0;
            while (common < open.Count && common < codes.Length && open[common].Code == codes[common])
                common++;
            Close(open, common, lastEnd, output);
            // Numbered as they open, outermost first: frames that open and close together nest by it.
            for (int i = common; i < codes.Length; i++)
                open.Add((codes[i], p.Start, nextSeq++));
            lastEnd = Math.Max(lastEnd, p.End);
        }

        Close(open, 0, lastEnd, output);
    }

    private static void Close(List<(ulong Code, ulong Start, long Seq)> open, int keep, ulong end, List<TimelineSlice> output)
    {
        for (int i = open.Count - 1; i >= keep; i--)
        {
            (ulong code, ulong start, long seq) = open[i];
            output.Add(new TimelineSlice(start, Math.Max(start, end), SliceLayer.Python, SliceStrength.Derived, seq)
            {
                Code = code,
                Category = TimelineCategories.PythonDerived,
            });
            open.RemoveAt(i);
        }
    }
}
