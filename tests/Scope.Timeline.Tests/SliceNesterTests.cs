using CsCheck;

namespace Scope.Timeline.Tests;

/// <summary>The nester: what it clips, what it never touches, and that its output always nests.</summary>
public sealed class SliceNesterTests
{
    private static long s_seq;

    private static TimelineSlice Real(ulong start, ulong end, SliceLayer layer = SliceLayer.Cuda) =>
        new(start, end, layer, SliceStrength.Real, s_seq++);

    private static TimelineSlice Derived(ulong start, ulong end) =>
        new(start, end, SliceLayer.Python, SliceStrength.Derived, s_seq++);

    private static TimelineSlice Written(ulong start, ulong end) =>
        new(start, end, SliceLayer.Cuda, SliceStrength.Written, s_seq++);

    [Fact]
    public void A_derived_frame_running_into_a_real_call_ends_where_the_call_begins()
    {
        TimelineSlice d = Derived(0, 50), r = Real(40, 70);
        var counts = SliceNester.Nest([d, r]);
        Assert.Equal((0UL, 40UL), (d.Start, d.End));
        Assert.Equal((40UL, 70UL), (r.Start, r.End));
        Assert.Equal(new SliceNester.Counts(1, 0, 0), counts);
    }

    [Fact]
    public void A_derived_frame_starting_inside_a_real_call_ends_with_it()
    {
        TimelineSlice r = Real(0, 50), d = Derived(40, 70);
        SliceNester.Nest([d, r]);
        Assert.Equal((40UL, 50UL), (d.Start, d.End));
        Assert.Equal(50UL, r.End);
    }

    [Fact]
    public void Of_two_real_calls_that_overlap_through_skew_the_later_one_is_clipped_and_counted()
    {
        TimelineSlice a = Real(0, 50), b = Real(40, 70);
        var counts = SliceNester.Nest([b, a]);
        Assert.Equal(50UL, a.End);
        Assert.Equal((40UL, 50UL), (b.Start, b.End));
        Assert.Equal(new SliceNester.Counts(1, 1, 0), counts);
    }

    [Fact]
    public void A_derived_frame_left_with_nothing_is_dropped_and_counted()
    {
        // The frame loses its end to the first call, then meets a second call starting where it starts.
        TimelineSlice first = Real(0, 50), frame = Derived(10, 100), second = Real(10, 80);
        var counts = SliceNester.Nest([frame, second, first]);
        Assert.True(frame.Dropped);
        Assert.Equal((10UL, 50UL), (second.Start, second.End));
        Assert.Equal(new SliceNester.Counts(2, 1, 1), counts);
    }

    [Fact]
    public void What_an_earlier_chunk_wrote_wins_even_over_a_real_call()
    {
        TimelineSlice late = Real(0, 30), written = Written(10, 50);
        var counts = SliceNester.Nest([written, late]);
        Assert.Equal((0UL, 10UL), (late.Start, late.End));
        Assert.Equal(50UL, written.End);
        Assert.Equal(new SliceNester.Counts(1, 1, 0), counts);
    }

    [Fact]
    public void At_equal_times_python_opens_around_cuda_around_syscall()
    {
        TimelineSlice sys = Real(10, 20, SliceLayer.Syscall), cuda = Real(10, 20, SliceLayer.Cuda), py = Derived(10, 20);
        var list = new List<TimelineSlice> { sys, cuda, py };
        SliceNester.Nest(list);
        Assert.Equal([py, cuda, sys], list);
    }

    // Intervals on a small grid, so that equal ends and shared boundaries come up often.
    private static readonly Gen<(ulong Start, ulong Length)> s_interval = Gen.Select(Gen.ULong[0, 60], Gen.ULong[0, 30]);

    [Fact]
    public void Nested_real_calls_survive_any_derived_frames_unchanged_and_the_result_nests()
    {
        Gen.Select(s_interval.Array[0, 25], s_interval.Array[0, 25], Gen.Int[0, 2].Array[25]).Sample((reals, deriveds, layers) =>
        {
            // Real calls of one thread nest by construction: keep those that nest with the ones kept.
            var real = new List<TimelineSlice>();
            for (int i = 0; i < reals.Length; i++)
            {
                TimelineSlice r = Real(reals[i].Start, reals[i].Start + reals[i].Length, (SliceLayer)layers[i]);
                if (real.All(k => !PartiallyOverlap(k, r)))
                    real.Add(r);
            }

            var derived = deriveds.Select(d => Derived(d.Start, d.Start + d.Length)).ToList();
            var before = real.Concat(derived).ToDictionary(s => s, s => (s.Start, s.End));
            var all = real.Concat(derived).ToList();

            SliceNester.Counts counts = SliceNester.Nest(all);

            Assert.All(real, r => Assert.Equal(before[r], (r.Start, r.End)));
            Assert.All(real, r => Assert.False(r.Dropped || r.Clipped));
            Assert.Equal(0, counts.ClippedReal);
            AssertShrunkOnly(all, before, counts);
            AssertNested(all);
        }, iter: 2000);
    }

    [Fact]
    public void Real_calls_that_overlap_anyway_and_history_still_come_out_nested()
    {
        Gen.Select(s_interval.Array[0, 20], s_interval.Array[0, 20], s_interval.Array[0, 10]).Sample((reals, deriveds, history) =>
        {
            var written = new List<TimelineSlice>();
            foreach (var h in history)
            {
                TimelineSlice w = Written(h.Start, h.Start + h.Length);
                if (written.All(k => !PartiallyOverlap(k, w)))
                    written.Add(w);
            }

            var all = reals.Select(r => Real(r.Start, r.Start + r.Length))
                .Concat(deriveds.Select(d => Derived(d.Start, d.Start + d.Length)))
                .Concat(written)
                .ToList();
            var before = all.ToDictionary(s => s, s => (s.Start, s.End));

            SliceNester.Counts counts = SliceNester.Nest(all);

            Assert.All(written, w => Assert.Equal(before[w], (w.Start, w.End)));
            AssertShrunkOnly(all, before, counts);
            AssertNested(all);

            // The call that starts first (the longest of those) never gives way to a later one.
            TimelineSlice? first = all.Where(s => s.Strength == SliceStrength.Real)
                .OrderBy(s => s.Start).ThenByDescending(s => before[s].End).FirstOrDefault();
            if (first is not null && written.Count == 0)
                Assert.Equal(before[first], (first.Start, first.End));
        }, iter: 2000);
    }

    private static bool PartiallyOverlap(TimelineSlice a, TimelineSlice b) =>
        (a.Start < b.Start && b.Start < a.End && a.End < b.End) || (b.Start < a.Start && a.Start < b.End && b.End < a.End);

    // Starts never move, ends only come earlier, and the counts say how many moved.
    private static void AssertShrunkOnly(List<TimelineSlice> all, Dictionary<TimelineSlice, (ulong Start, ulong End)> before, SliceNester.Counts counts)
    {
        foreach (TimelineSlice s in all)
        {
            Assert.Equal(before[s].Start, s.Start);
            Assert.True(s.End <= before[s].End && s.End >= s.Start);
            if (s.Strength != SliceStrength.Written)
                Assert.Equal(s.End != before[s].End, s.Clipped);
            Assert.Equal(s.Dropped, s.Clipped && s.End == s.Start);
        }

        Assert.Equal(all.Count(s => s.Clipped), counts.Clipped);
        Assert.Equal(all.Count(s => s.Clipped && s.Strength == SliceStrength.Real), counts.ClippedReal);
        Assert.Equal(all.Count(s => s.Dropped), counts.Dropped);
    }

    // The kept slices, in the order returned, open inside whatever is still open: a well-bracketed track.
    private static void AssertNested(List<TimelineSlice> all)
    {
        var kept = all.Where(s => !s.Dropped).ToList();
        for (int i = 0; i < kept.Count; i++)
        {
            for (int j = i + 1; j < kept.Count; j++)
                Assert.False(PartiallyOverlap(kept[i], kept[j]), $"[{kept[i].Start},{kept[i].End}] and [{kept[j].Start},{kept[j].End}] overlap");
        }

        var open = new Stack<TimelineSlice>();
        foreach (TimelineSlice s in kept)
        {
            while (open.Count > 0 && open.Peek().End <= s.Start)
                open.Pop();
            if (open.Count > 0)
                Assert.True(open.Peek().Start <= s.Start && s.End <= open.Peek().End);
            open.Push(s);
        }
    }
}
