using System.Buffers.Binary;
using static Scope.Events.Tests.CudaRecords;

namespace Scope.Events.Tests;

/// <summary>PythonProfile: the call tree, folded stacks, top functions and exact calls of one process's Python records.</summary>
public sealed class PythonProfileTests
{
    private const ulong Module = 0x1000, Main = 0x2000, Hot = 0x3000, Warm = 0x4000, Fib = 0x5000;

    private static readonly byte[][] Names =
    [
        PythonCodeName(Module, "<module>", "f.py"),
        PythonCodeName(Main, "main", "f.py"),
        PythonCodeName(Hot, "hot", "f.py"),
        PythonCodeName(Warm, "warm", "f.py"),
        PythonCodeName(Fib, "fib", "g.py"),
    ];

    // 9 samples with frames (innermost first), 1 stack taken at a CUDA call, 2 without Python.
    private static IEnumerable<byte[]> Samples()
    {
        for (int i = 0; i < 3; i++)
            yield return PythonSampled(0, (Hot, 12), (Main, 30), (Module, 40));
        yield return PythonSampled(0, (Hot, 13), (Main, 30), (Module, 40));
        for (int i = 0; i < 2; i++)
            yield return PythonSampled(0, (Warm, 20), (Main, 31), (Module, 40));
        yield return PythonSampled(0, (Main, 32), (Module, 40));
        for (int i = 0; i < 2; i++)
            yield return PythonSampled(0, (Fib, 5), (Fib, 6), (Fib, 6), (Main, 33), (Module, 40));
        yield return PythonAtCuda(7, 1, (Hot, 12), (Main, 30), (Module, 40));
        yield return PythonSampled(Wire.PyNoThreadState);
        yield return PythonSampled(0);
    }

    private static PythonProfile Build(bool namesFirst)
    {
        var p = new PythonProfile();
        if (namesFirst)
        {
            foreach (var r in Names)
                p.Apply(r);
        }
        foreach (var r in Samples())
            p.Apply(r);
        if (!namesFirst)
        {
            foreach (var r in Names)
                p.Apply(r);
        }
        return p;
    }

    private static string Flat(PythonProfileNode n) =>
        $"{n.Name}:{n.Self}/{n.Inclusive}" + (n.Children.Count == 0 ? "" : "[" + string.Join(",", n.Children.Select(Flat)) + "]");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_tree_counts_each_sample_once_on_its_path_whenever_the_names_arrive(bool namesFirst)
    {
        var p = Build(namesFirst);
        Assert.Equal((9L, 2L, 0L, 0L), (p.Samples, p.NoPythonSamples, p.DeepSamples, p.DroppedSamples));
        Assert.Equal(
            "all:0/9[<module> (f.py):0/9[main (f.py):1/9[hot (f.py):4/4,fib (g.py):0/2[fib (g.py):0/2[fib (g.py):2/2]],warm (f.py):2/2]]]",
            Flat(p.Tree()));
    }

    [Fact]
    public void Folded_stacks_are_outermost_first_by_count_then_text()
    {
        Assert.Equal(
            [
                "<module> (f.py);main (f.py);hot (f.py) 4",
                "<module> (f.py);main (f.py);fib (g.py);fib (g.py);fib (g.py) 2",
                "<module> (f.py);main (f.py);warm (f.py) 2",
                "<module> (f.py);main (f.py) 1",
            ],
            Build(namesFirst: false).Folded());
    }

    [Fact]
    public void Top_functions_count_recursion_once_for_inclusive_and_name_their_hottest_lines()
    {
        var top = Build(namesFirst: false).Top();
        Assert.Equal(
            [
                ("hot", "f.py", 4L, 4L, "12:3,13:1"),
                ("fib", "g.py", 2L, 2L, "5:2"),
                ("warm", "f.py", 2L, 2L, "20:2"),
                ("main", "f.py", 1L, 9L, "32:1"),
                ("<module>", "f.py", 0L, 9L, ""),
            ],
            top.Select(f => (f.Function, f.File!, f.Self, f.Inclusive, string.Join(",", f.Lines.Select(l => $"{l.Line}:{l.Self}")))));

        var limited = Build(namesFirst: true).Top(limit: 2, lines: 1);
        Assert.Equal(["hot", "fib"], limited.Select(f => f.Function));
        Assert.Equal(new PythonProfileLine(12, 3), Assert.Single(limited[0].Lines));
    }

    [Fact]
    public void The_view_holds_the_same_as_the_single_queries()
    {
        var p = Build(namesFirst: false);
        var v = p.View(top: 3, lines: 5);
        Assert.Equal((9L, 2L, 0L, 0L), (v.Samples, v.NoPythonSamples, v.DeepSamples, v.DroppedSamples));
        Assert.Equal(p.Folded(), v.Folded);
        Assert.Equal(Flat(p.Tree()), Flat(v.Tree));
        Assert.Equal(["hot", "fib", "warm"], v.Top.Select(f => f.Function));
    }

    [Fact]
    public void Unnamed_code_objects_are_their_address_and_code_objects_of_one_name_are_one_frame()
    {
        var p = new PythonProfile();
        p.Apply(PythonSampled(0, (0xABC0, 3), (Main, 30)));
        p.Apply(PythonSampled(0, (0x7000, 8), (Main, 30)));
        p.Apply(PythonSampled(0, (0x7100, 9), (Main, 30)));
        p.Apply(PythonCodeName(Main, "main", "f.py"));
        // Two lambdas of one file: different code objects, one frame.
        p.Apply(PythonCodeName(0x7000, "<lambda>", "f.py"));
        p.Apply(PythonCodeName(0x7100, "<lambda>", "f.py"));
        // An unreadable name is no name.
        var unreadable = PythonCodeName(0xABC0, "stale", "x.py");
        BinaryPrimitives.WriteUInt16LittleEndian(unreadable.AsSpan(60), Wire.PyCodeUnreadable);
        p.Apply(unreadable);

        Assert.Equal(["main (f.py);<lambda> (f.py) 2", "main (f.py);0xabc0 1"], p.Folded());
        var lambda = p.Top()[0];
        Assert.Equal(("<lambda>", "f.py", 2L, 2L), (lambda.Function, lambda.File, lambda.Self, lambda.Inclusive));
        Assert.Equal([new PythonProfileLine(8, 1), new PythonProfileLine(9, 1)], lambda.Lines);
        var unnamed = p.Top().Single(f => f.Function == "0xabc0");
        Assert.Null(unnamed.File);
        Assert.Equal((1L, 1L), (unnamed.Self, unnamed.Inclusive));
    }

    [Fact]
    public void Stacks_deeper_than_a_record_hang_under_a_truncated_frame()
    {
        var frames = Enumerable.Range(0, Wire.PyMaxFrames).Select(i => (i == 0 ? Hot : Fib, (uint)i)).ToArray();
        var p = new PythonProfile();
        foreach (var r in Names)
            p.Apply(r);
        p.Apply(PythonSampled(Wire.PyTruncated, frames));
        p.Apply(PythonSampled(0, (Hot, 12), (Main, 30)));

        Assert.Equal((2L, 1L), (p.Samples, p.DeepSamples));
        var tree = p.Tree();
        Assert.Equal(["[truncated]", "main (f.py)"], tree.Children.Select(c => c.Name));
        Assert.Equal((0L, 1L), (tree.Children[0].Self, tree.Children[0].Inclusive));
        var deep = p.Folded().Single(l => l.StartsWith("[truncated];", StringComparison.Ordinal));
        Assert.Equal("[truncated];" + string.Join(";", Enumerable.Repeat("fib (g.py)", 63)) + ";hot (f.py) 1", deep);
        // The marker is no function; fib counts once however deep it recurs.
        var top = p.Top();
        Assert.DoesNotContain(top, f => f.Function == "[truncated]");
        Assert.Equal((0L, 1L), top.Where(f => f.Function == "fib").Select(f => (f.Self, f.Inclusive)).Single());
        Assert.Equal((2L, 2L), top.Where(f => f.Function == "hot").Select(f => (f.Self, f.Inclusive)).Single());
    }

    [Fact]
    public void Calls_are_totalled_exactly_per_function_and_file_most_time_first()
    {
        var p = new PythonProfile();
        foreach (ulong d in new ulong[] { 100, 200, 300, 400, 500 })
            p.Apply(PythonCallRecord("gen", "u.py", d));
        foreach (ulong d in new ulong[] { 10, 10, 11 })
            p.Apply(PythonCallRecord("<lambda>", "u.py", d));
        p.Apply(PythonCallRecord("co", "u.py", 1000));
        p.Apply(PythonCallRecord("co", "u.py", 3000));
        p.Apply(PythonCallRecord("gen", "other.py", 7));
        // Durations saturate rather than wrap.
        p.Apply(PythonCallRecord("big", "u.py", ulong.MaxValue));
        p.Apply(PythonCallRecord("big", "u.py", 5));

        Assert.Equal(
            [
                new PythonCallTotals("big", "u.py", 2, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue / 2),
                new PythonCallTotals("co", "u.py", 2, 4000, 3000, 2000),
                new PythonCallTotals("gen", "u.py", 5, 1500, 500, 300),
                new PythonCallTotals("<lambda>", "u.py", 3, 31, 11, 10),
                new PythonCallTotals("gen", "other.py", 1, 7, 7, 7),
            ],
            p.CallTotals());
        Assert.Equal(13, p.Calls);
        // Calls are no samples.
        Assert.Equal(0, p.Samples);
        Assert.Empty(p.Folded());
    }

    [Fact]
    public void The_bounds_drop_whole_samples_and_calls_and_count_them()
    {
        var p = new PythonProfile(maxEntries: 5);
        p.Apply(PythonSampled(0, (Hot, 12), (Main, 30), (Module, 40)));   // 3 nodes + 1 line
        p.Apply(PythonSampled(0, (Warm, 20), (Main, 30), (Module, 40)));  // needs 2 more: dropped
        p.Apply(PythonSampled(0, (Hot, 12), (Main, 30), (Module, 40)));   // needs nothing new
        p.Apply(PythonSampled(0, (Main, 31), (Module, 40)));              // needs a line: 5
        p.Apply(PythonSampled(0, (Main, 32), (Module, 40)));              // dropped
        Assert.Equal((3L, 2L, 5), (p.Samples, p.DroppedSamples, p.Entries));
        Assert.Equal(["0x1000;0x2000;0x3000 2", "0x1000;0x2000 1"], p.Folded());

        for (int i = 0; i < 7; i++)
            p.Apply(PythonCallRecord($"f{i}", "u.py", 1));
        p.Apply(PythonCallRecord("f0", "u.py", 1));
        Assert.Equal((6L, 2L), (p.Calls, p.DroppedCalls));
        Assert.Equal(5, p.CallTotals().Count);
    }

    [Fact]
    public void Malformed_records_are_counted_and_never_throw()
    {
        var p = new PythonProfile();
        var good = PythonSampled(0, (Hot, 12), (Main, 30));
        p.Apply([]);
        p.Apply(new byte[10]);
        p.Apply(good.AsSpan(0, 100));                                      // cut short
        var badSize = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(badSize.AsSpan(2), 100);  // size field lies
        p.Apply(badSize);
        Assert.Equal(4, p.Malformed);

        // A frame count past the array is capped at 64 frames (all code 0 past the second).
        var many = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(many.AsSpan(48), 0xFFFF);
        p.Apply(many);
        Assert.Equal(1, p.Samples);
        Assert.Equal(string.Join(";", Enumerable.Repeat("0x0", 62)) + ";0x2000;0x3000 1", Assert.Single(p.Folded()));

        // Longer buffers are read up to the type's size; other types are ignored.
        p.Apply([.. good, 1, 2, 3]);
        p.Apply(Call(CudaApi.Malloc, 5, ptr: 0x10, bytes: 8));
        Assert.Equal((2L, 4L), (p.Samples, p.Malformed));

        var random = new Random(7);
        var buf = new byte[Wire.RecordSize(RecordType.PythonSample)];
        for (int i = 0; i < 2000; i++)
        {
            random.NextBytes(buf);
            var type = (ushort)(12 + (i % 3));
            BinaryPrimitives.WriteUInt16LittleEndian(buf, type);
            BinaryPrimitives.WriteUInt16LittleEndian(buf.AsSpan(2), (ushort)Wire.RecordSize((RecordType)type));
            p.Apply(buf.AsSpan(0, random.Next(buf.Length + 1)));
        }
        _ = p.View();
        _ = p.CallTotals();
    }
}
