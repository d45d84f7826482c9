using Scope.Silo.Collectors;

namespace Scope.Storage.Tests;

/// <summary>The collector's arguments from settings (no database: outside the PostgreSQL collection).</summary>
public sealed class CollectorCommandTests
{
    private const string Endpoint = "tcp://127.0.0.1:5557";

    [Fact]
    public void Cuda_probes_go_to_the_named_targets()
    {
        var args = CollectorCommand.Arguments(new CollectorOptions { Probes = "process,cuda", TargetComm = "cuda_ledger" }, Endpoint, "m1");
        Assert.Equal("process,cuda", args[args.ToList().IndexOf("--probes") + 1]);
        Assert.Equal("cuda_ledger", args[args.ToList().IndexOf("--comm") + 1]);
        Assert.DoesNotContain("--system-wide", args);

        args = CollectorCommand.Arguments(new CollectorOptions { Probes = "cuda", TargetPid = "1234" }, Endpoint, "m1");
        Assert.Equal("1234", args[args.ToList().IndexOf("--pid") + 1]);
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("process,syscalls,cuda")]
    [InlineData("process,python")]
    public void Cuda_probes_without_targets_are_refused_rather_than_run_system_wide(string probes)
    {
        var e = Assert.Throws<ArgumentException>(() => CollectorCommand.Arguments(new CollectorOptions { Probes = probes }, Endpoint, "m1"));
        Assert.Contains("TargetComm", e.Message, StringComparison.Ordinal);
        Assert.Contains("TargetPid", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_cuda_and_targets_every_process_is_watched_in_counts_only_mode()
    {
        var args = CollectorCommand.Arguments(new CollectorOptions(), Endpoint, "m1");
        Assert.Contains("--system-wide", args);
        Assert.Contains("--counts-only", args);
    }

    [Fact]
    public void Unknown_probes_are_refused_with_the_known_ones_named()
    {
        var e = Assert.Throws<ArgumentException>(() => CollectorCommand.Arguments(new CollectorOptions { Probes = "process,gpu" }, Endpoint, "m1"));
        Assert.Contains("process, syscalls, cuda", e.Message, StringComparison.Ordinal);
    }
}
