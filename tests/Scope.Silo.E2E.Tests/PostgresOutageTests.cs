using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// PostgreSQL stopped for 30 s under a steady load: the writer holds what arrives, within its
/// bound, and writes it all when PostgreSQL returns; beyond the bound it drops and counts.
/// </summary>
public sealed partial class PostgresOutageTests(LoadNode node, ITestOutputHelper output) : IClassFixture<LoadNode>
{
    [GeneratedRegex(@"^scope_storage_queue_bytes(?:\{[^}]*\})? (\d+(?:\.\d+)?(?:e\+\d+)?)", RegexOptions.Multiline)]
    private static partial Regex QueueBytes();

    private static async Task<long> WriterQueueBytes(LoadNode node)
    {
        var text = await node.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var m = QueueBytes().Match(text);
        return m.Success ? (long)double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    internal static async Task<(LoadNode.Ledger Ledger, long Produced, long MaxQueue)> RunWithOutage(
        LoadNode node, long events, long rate, int loadQueueMb = 64, int loadHwm = 1000)
    {
        using var load = node.StartLoad(events, rate, batchRecords: 500, queueMb: loadQueueMb, hwm: loadHwm);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await node.StopPostgresAsync();
        long maxQueue = 0;
        for (var i = 0; i < 30; i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            maxQueue = Math.Max(maxQueue, await WriterQueueBytes(node));
        }
        await node.StartPostgresAsync();
        var summary = await LoadNode.Summary(load);
        Assert.Equal(0, summary.GetProperty("unsent_batches").GetInt32());
        var produced = summary.GetProperty("produced").GetInt64();
        var ledger = await node.SettledLedger(LoadNode.InstanceOf(summary), produced);
        return (ledger, produced, maxQueue);
    }

    [Fact]
    public async Task Within_the_bound_everything_buffered_is_written_when_postgres_returns()
    {
        var (l, produced, maxQueue) = await RunWithOutage(node, events: 600_000, rate: 15_000);
        output.WriteLine($"writer held up to {maxQueue / 1048576.0:F1} MiB; persisted {l.Persisted}, gaps {l.Gaps}, drops {l.SendDrops}+{l.PersistDrops}");
        Assert.True(l.Final);
        Assert.Equal(produced, l.Persisted);
        Assert.Equal(0, l.Gaps + l.SendDrops + l.PersistDrops);
        Assert.Equal(produced, l.Rows);
        Assert.True(maxQueue > 0, "the writer never held anything: PostgreSQL was not really away");
        Assert.True(maxQueue <= node.BufferMb * 1048576L, $"the writer held {maxQueue} bytes, above its {node.BufferMb} MiB bound");
    }
}

/// <summary>A node whose writer may hold only 4 MiB: too little for a 30 s outage at this rate.</summary>
public sealed class SmallBufferNode : LoadNode
{
    public SmallBufferNode() => BufferMb = 4;
}

/// <summary>The same outage with a writer bound too small for it: memory stays within the bound, and what does not fit is counted.</summary>
public sealed class PostgresOutageSmallBufferTests(SmallBufferNode node, ITestOutputHelper output) : IClassFixture<SmallBufferNode>
{
    [Fact]
    public async Task Beyond_the_bound_batches_are_dropped_and_counted_never_lost_silently()
    {
        // The load generator's own queue is small too, so the back-pressure reaching it must end in drops.
        var (l, produced, maxQueue) = await PostgresOutageTests.RunWithOutage(node, events: 600_000, rate: 15_000, loadQueueMb: 4, loadHwm: 50);
        output.WriteLine($"writer held up to {maxQueue / 1048576.0:F1} MiB of {node.BufferMb}; persisted {l.Persisted}, " +
                         $"persist drops {l.PersistDrops}, gaps {l.Gaps}, send drops {l.SendDrops}");
        Assert.True(l.Final);
        Assert.Equal(produced, l.Persisted + l.Gaps + l.SendDrops + l.PersistDrops);
        Assert.Equal(l.Persisted, l.Rows);
        // 30 s at 15k records/s is 54 MB: far more than the writer (4 MiB) and the sender (4 MiB + 50 batches of 60 KB) may hold.
        Assert.True(l.PersistDrops + l.SendDrops > 0, "nothing was dropped: some buffer on the way is not bounded");
        // One batch may be in hand above the bound while the writer decides to drop it.
        Assert.True(maxQueue <= node.BufferMb * 1048576L + 500 * 120, $"the writer held {maxQueue} bytes, above its {node.BufferMb} MiB bound");
    }
}
