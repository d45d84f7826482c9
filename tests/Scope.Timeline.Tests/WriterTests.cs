using System.Text;

namespace Scope.Timeline.Tests;

/// <summary>The two writers on their own: encodings, chunk independence, document structure.</summary>
public sealed class WriterTests
{
    [Theory]
    [InlineData(0UL, "0")]
    [InlineData(1UL, "0.001")]
    [InlineData(10UL, "0.01")]
    [InlineData(1_000UL, "1")]
    [InlineData(1_234_567UL, "1234.567")]
    [InlineData(1_234_500UL, "1234.5")]
    [InlineData(9_007_199_254_740_993UL, "9007199254740.993")]
    [InlineData(ulong.MaxValue, "18446744073709551.615")]
    public void Microseconds_are_exact_decimals(ulong ns, string text) => Assert.Equal(text, Microseconds.ToString(ns));

    private static void OneSlice(ITraceWriter w, string processLabel, string sliceName, ulong ts)
    {
        w.BeginChunk();
        w.DescribeProcess(1, 9, "p", processLabel, [processLabel, "x"]);
        w.DescribeThread(2, 1, 9, 9, "t");
        w.BeginSlice(new TraceSlice(2, ts, 5, sliceName, "c", [TraceArg.String("s", sliceName), TraceArg.Int("i", -3), TraceArg.Double("d", 0.5)]));
        w.EndSlice(2, ts + 5);
        w.EndChunk();
    }

    [Fact]
    public void Long_and_non_ascii_strings_survive_protoc()
    {
        string label = "naïve_函数_" + new string('x', 20_000);
        using var file = new MemoryStream();
        using (var w = new PerfettoTraceWriter(file, leaveOpen: true))
            OneSlice(w, label, "ünïcode ✓", 7);
        DecodedTrace trace = DecodedTrace.Decode(file.ToArray());
        DecodedTrack process = Assert.Single(trace.Tracks.Values, t => t.Process is not null);
        Assert.Equal(label, process.Name);
        Assert.Equal([label, "x"], process.Process!.All("cmdline").Select(c => c.Value));
        DecodedSlice slice = Assert.Single(trace.Slices);
        Assert.Equal(("ünïcode ✓", 7UL, 12UL), (slice.Name, slice.Start, slice.End));
        Assert.Equal(("ünïcode ✓", "-3", "0.5"), (slice.Begin.Args["s"], slice.Begin.Args["i"], slice.Begin.Args["d"]));
    }

    [Fact]
    public void Each_chunk_decodes_alone_and_appended_files_decode_as_one_trace()
    {
        using var first = new MemoryStream();
        using var second = new MemoryStream();
        using (var w = new PerfettoTraceWriter(first, leaveOpen: true))
            OneSlice(w, "p", "same", 10);
        using (var w = new PerfettoTraceWriter(second, leaveOpen: true))
            OneSlice(w, "p", "same", 20);
        Assert.Equal("same", Assert.Single(DecodedTrace.Decode(second.ToArray()).Slices).Name);

        DecodedTrace both = DecodedTrace.Decode([.. first.ToArray(), .. second.ToArray()]);
        Assert.Equal(2, both.Chunks);
        Assert.Equal([10UL, 20UL], both.Slices.Select(s => s.Start));
    }

    [Fact]
    public void One_writer_interns_a_name_again_in_each_chunk()
    {
        using var file = new MemoryStream();
        using (var w = new PerfettoTraceWriter(file, leaveOpen: true))
        {
            OneSlice(w, "p", "same", 10);
            OneSlice(w, "p", "same", 20);
        }

        string text = Protoc.Decode(file.ToArray());
        Assert.Equal(2, text.Split("name: \"same\"").Length - 1);
        Assert.Equal(2, DecodedTrace.Decode(file.ToArray()).Slices.Count(s => s.Name == "same"));
    }

    [Fact]
    public void A_json_document_is_complete_after_Finish_even_when_empty()
    {
        using var file = new MemoryStream();
        using (var w = new JsonTraceWriter(file, leaveOpen: true))
            w.Finish();
        Assert.Equal("""{"traceEvents":[],"displayTimeUnit":"ns"}""", Encoding.UTF8.GetString(file.ToArray()));
    }

    [Fact]
    public void Writers_refuse_events_after_Finish()
    {
        using var w = new PerfettoTraceWriter(new MemoryStream());
        w.Finish();
        Assert.Throws<InvalidOperationException>(w.BeginChunk);
        using var j = new JsonTraceWriter(new MemoryStream());
        j.Finish();
        Assert.Throws<InvalidOperationException>(() => j.EndSlice(1, 1));
    }
}
