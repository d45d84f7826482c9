using System.Text.Json;
using static Scope.Timeline.Tests.Scenario;

namespace Scope.Timeline.Tests;

/// <summary>The scenario written as Chrome JSON, parsed by System.Text.Json.</summary>
public sealed class JsonScenarioTests : IDisposable
{
    private static readonly string[] s_metadataNames = ["process_name", "thread_name", "process_sort_index", "thread_sort_index"];

    private readonly JsonTrace _trace;

    public JsonScenarioTests()
    {
        using var file = new MemoryStream();
        using (var writer = new JsonTraceWriter(file, leaveOpen: true))
            Scenario.Write(writer);
        _trace = new JsonTrace(file.ToArray());
    }

    public void Dispose() => _trace.Dispose();

    [Fact]
    public void Complete_slices_nest_on_every_thread()
    {
        _trace.AssertNested();
        Assert.True(_trace.Phase("X").Count() >= 10);
    }

    [Fact]
    public void Times_are_exact_microsecond_decimals_of_the_records_ns()
    {
        JsonElement launch = Assert.Single(_trace.Phase("X"), e => JsonTrace.Name(e) == KernelName);
        Assert.Equal("30.123", JsonTrace.Text(launch, "ts"));
        Assert.Equal("5.01", JsonTrace.Text(launch, "dur"));
        JsonElement ioctl = Assert.Single(_trace.Phase("X"), e => JsonTrace.Name(e) == "ioctl");
        Assert.Equal(("31.2", "1.05"), (JsonTrace.Text(ioctl, "ts"), JsonTrace.Text(ioctl, "dur")));
        JsonElement exec = Assert.Single(_trace.Phase("i"), e => JsonTrace.Name(e) == "exec");
        Assert.Equal("1.001", JsonTrace.Text(exec, "ts"));
        Assert.Equal("80", JsonTrace.Text(Assert.Single(_trace.Phase("i"), e => JsonTrace.Name(e) == "exit"), "ts"));
    }

    [Fact]
    public void Metadata_names_the_process_with_its_command_line_and_each_thread_once()
    {
        var metadata = _trace.Phase("M").ToList();
        Assert.All(metadata, m => Assert.Contains(JsonTrace.Name(m), s_metadataNames));
        JsonElement process = Assert.Single(metadata, m => JsonTrace.Name(m) == "process_name");
        Assert.Equal("python3 100: python3 train.py --epochs 1", process.GetProperty("args").GetProperty("name").GetString());

        // Two chunks described the same threads; the names are written once.
        var threads = metadata.Where(m => JsonTrace.Name(m) == "thread_name")
            .Select(m => (m.GetProperty("tid").GetInt32(), m.GetProperty("args").GetProperty("name").GetString()))
            .ToList();
        Assert.Equal([(100, "python3"), (101, "python3-101")], threads);
    }

    [Fact]
    public void Thread_B_has_its_own_slices_only()
    {
        string[] onB = [.. _trace.Phase("X").Where(e => e.GetProperty("tid").GetInt32() == (int)ThreadB).Select(JsonTrace.Name).Distinct().Order()];
        Assert.Equal(["load_batch", "worker"], onB);
    }

    [Fact]
    public void The_flow_starts_at_the_launch_and_ends_bound_to_the_synchronize()
    {
        JsonElement start = Assert.Single(_trace.Phase("s"));
        JsonElement end = Assert.Single(_trace.Phase("f"));
        Assert.Equal(start.GetProperty("id").GetUInt64(), end.GetProperty("id").GetUInt64());
        Assert.True(start.GetProperty("id").GetUInt64() < 1UL << 53);
        Assert.Equal("30.123", JsonTrace.Text(start, "ts"));
        Assert.Equal("45.007", JsonTrace.Text(end, "ts"));
        Assert.Equal("e", end.GetProperty("bp").GetString());
        Assert.Equal(JsonTrace.Name(start), JsonTrace.Name(end));
        Assert.Equal(start.GetProperty("cat").GetString(), end.GetProperty("cat").GetString());
    }

    [Fact]
    public void Counters_and_instants_carry_values_and_scopes()
    {
        var memory = _trace.Phase("C").Where(e => JsonTrace.Name(e) == "GPU memory (device 0)")
            .Select(e => (JsonTrace.Text(e, "ts"), e.GetProperty("args").GetProperty("value").GetInt64()))
            .ToList();
        Assert.Equal([("26.05", (long)Bytes), ("66", 0L)], memory);

        JsonElement failed = Assert.Single(_trace.Phase("i"), e => JsonTrace.Name(e) == "cudaMalloc failed: 2");
        Assert.Equal(("t", (int)ThreadA), (failed.GetProperty("s").GetString(), failed.GetProperty("tid").GetInt32()));
        Assert.Equal("p", Assert.Single(_trace.Phase("i"), e => JsonTrace.Name(e) == "exec").GetProperty("s").GetString());
    }
}
