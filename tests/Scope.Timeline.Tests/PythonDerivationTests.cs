namespace Scope.Timeline.Tests;

/// <summary>Frames derived from the points where a thread's Python stack was seen.</summary>
public sealed class PythonDerivationTests
{
    private const ulong A = 0xA, B = 0xB, C = 0xC;

    private static List<(ulong Code, ulong Start, ulong End)> Derive(params (ulong Start, ulong End, ulong[] OutermostFirst)[] points)
    {
        long seq = 0;
        var list = points.Select(p => new PythonPoint(p.Start, p.End, p.OutermostFirst, seq++)).ToList();
        var output = new List<TimelineSlice>();
        PythonDerivation.Derive(list, output, ref seq);
        Assert.All(output, s => Assert.Equal((SliceStrength.Derived, TimelineCategories.PythonDerived), (s.Strength, s.Category)));
        return [.. output.OrderBy(s => s.Start).ThenBy(s => s.Code).ThenByDescending(s => s.End).Select(s => (s.Code, s.Start, s.End))];
    }

    [Fact]
    public void A_frame_lasts_from_the_first_to_the_last_consecutive_point_that_holds_it()
    {
        var slices = Derive((10, 10, [A, B]), (20, 20, [A, C]), (30, 30, [A, C]));
        Assert.Equal([(A, 10UL, 30UL), (B, 10UL, 10UL), (C, 20UL, 30UL)], slices);
    }

    [Fact]
    public void A_stack_taken_at_a_CUDA_call_spans_the_call()
    {
        var slices = Derive((10, 10, [A, B]), (15, 40, [A, B]), (50, 50, [A]));
        Assert.Equal([(A, 10UL, 50UL), (B, 10UL, 40UL)], slices);
    }

    [Fact]
    public void Points_arrive_in_any_order_and_are_walked_in_time_order()
    {
        // A CUDA call's stack arrives at its return, after a sample taken while it ran.
        var slices = Derive((20, 20, [A, C]), (10, 30, [A, C]), (5, 5, [A, B]));
        Assert.Equal([(A, 5UL, 30UL), (B, 5UL, 5UL), (C, 10UL, 30UL)], slices);
    }

    [Fact]
    public void An_empty_stack_closes_every_frame_and_a_recursive_frame_counts_by_position()
    {
        var slices = Derive((10, 10, [A]), (20, 20, []), (30, 30, [A, A]), (40, 40, [A]));
        Assert.Equal([(A, 10UL, 10UL), (A, 30UL, 40UL), (A, 30UL, 30UL)], slices);
    }
}
