namespace Scope.Timeline;

/// <summary>
/// Makes one thread's slices nest. A partial overlap (each of two slices holds one end of the other)
/// has no place on a track, so one of the two is clipped: the weaker (derived before real before
/// written), or, between equals, the one that starts later. Clipping keeps a slice's start and ends it
/// at the first boundary of the other slice it crosses, so the clipped slice either becomes the other's
/// child or ends where the other begins. Real slices of a thread nest by construction (its calls are
/// synchronous); when skew makes two overlap, the later one is clipped the same way.
/// </summary>
internal static class SliceNester
{
    /// <summary>The outcome's counts.</summary>
    /// <param name="Clipped">Slices whose end moved (written slices are never counted).</param>
    /// <param name="ClippedReal">Of those, real slices.</param>
    /// <param name="Dropped">Slices clipped to nothing, left out.</param>
    public readonly record struct Counts(int Clipped, int ClippedReal, int Dropped);

    /// <summary>
    /// Clips <paramref name="slices"/> in place (their <see cref="TimelineSlice.End"/>, <see cref="TimelineSlice.Dropped"/>
    /// and <see cref="TimelineSlice.Clipped"/>) and sorts them into opening order (<see cref="TimelineSlice.Sort"/>),
    /// dropped ones included.
    /// </summary>
    public static Counts Nest(List<TimelineSlice> slices)
    {
        TimelineSlice.Sort(slices);
        var open = new List<TimelineSlice>();
        int clipped = 0, clippedReal = 0, dropped = 0;
        foreach (TimelineSlice x in slices)
        {
            while (open.Count > 0 && open[^1].End <= x.Start)
                open.RemoveAt(open.Count - 1);

            // Everything still open contains x's start; those ending before x does overlap it partially,
            // and they are the top of the stack (ends grow toward the bottom).
            while (open.Count > 0 && open[^1].End < x.End)
            {
                TimelineSlice e = open[^1];
                if (e.Strength < x.Strength)
                {
                    // x cannot move: e ends where x begins. It began earlier, or, if at the same instant,
                    // it was longer when sorted and lost its end to an earlier clip: then nothing is left.
                    Clip(e, x.Start);
                    open.RemoveAt(open.Count - 1);
                    continue;
                }

                Clip(x, e.End);
                break;
            }

            if (!x.Dropped)
                open.Add(x);
        }

        // Clipping shortens slices, which can change their order among those that start together.
        if (clipped > 0)
            TimelineSlice.Sort(slices);
        return new Counts(clipped, clippedReal, dropped);

        void Clip(TimelineSlice s, ulong end)
        {
            bool wasEmpty = s.End == s.Start;
            s.End = end;
            if (s.Strength == SliceStrength.Written)
                return;
            if (!s.Clipped)
            {
                s.Clipped = true;
                clipped++;
                if (s.Strength == SliceStrength.Real)
                    clippedReal++;
            }

            if (end <= s.Start && !wasEmpty && !s.Dropped)
            {
                s.Dropped = true;
                dropped++;
            }
        }
    }
}
