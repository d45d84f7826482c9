using System.Globalization;
using System.Text.RegularExpressions;
using NetMQ;
using NetMQ.Sockets;
using Xunit.Abstractions;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// A million hostile frames at the ingest port: random bytes, truncations, bit flips, lying
/// lengths, wrong versions, forged MACs, unknown senders and oversized frames. The silo stays up,
/// its memory stays flat, and every frame is counted as rejected, by reason, exactly.
/// </summary>
public sealed partial class BadInputTests(BadInputTests.CompactNode node, ITestOutputHelper output) : IClassFixture<BadInputTests.CompactNode>
{
    /// <summary>
    /// A node whose memory tracks what it holds: the silo's default server GC lets its heaps grow
    /// with allocation rate long before it collects, so RSS would measure the GC's budget, not a
    /// leak. Workstation GC with a small gen0 collects often; a per-frame leak still grows RSS.
    /// </summary>
    public sealed class CompactNode : ScopeNode
    {
        protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
        {
            ["DOTNET_gcServer"] = "0",
            ["DOTNET_GCgen0size"] = "0x1000000",
        };
    }

    private const int Frames = 1_000_000;

    [GeneratedRegex("""^scope_ingest_rejected_total\{[^}]*reason="([a-z_]+)"[^}]*\} (\d+)""", RegexOptions.Multiline)]
    private static partial Regex RejectedLine();

    private async Task<Dictionary<string, long>> Rejected()
    {
        var text = await node.Http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        return RejectedLine().Matches(text).ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private long SiloRssBytes()
    {
        var line = File.ReadAllLines($"/proc/{node.SiloPid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    private static byte[] GoldenFrame()
    {
        var hex = File.ReadAllText(Path.Combine(ScopeNode.FindRepo(), "tests", "golden", "v1", "batch.frame"));
        return Convert.FromHexString(string.Concat(hex.Where(Uri.IsHexDigit)));
    }

    /// <summary>Frame i of the flood, and the reason the ingest must give for refusing it.</summary>
    private static (byte[] Frame, string Reason) Hostile(int i, Random rng, byte[] golden, string machineId)
    {
        // The golden frame re-addressed to this node's own collector: structurally valid, but not signed by it.
        byte[] Ours()
        {
            var f = (byte[])golden.Clone();
            Array.Clear(f, 96, 64);
            System.Text.Encoding.ASCII.GetBytes(machineId, f.AsSpan(96, 32));
            System.Text.Encoding.ASCII.GetBytes("local", f.AsSpan(128, 32));
            return f;
        }
        switch (i % 8)
        {
            case 0: // random bytes, too short for a header
                {
                    var f = new byte[rng.Next(0, 256)];
                    rng.NextBytes(f);
                    return (f, "too_short");
                }
            case 1: // random bytes of header size or more
                {
                    var f = new byte[rng.Next(256, 1024)];
                    rng.NextBytes(f);
                    if (BitConverter.ToUInt32(f, 0) == 0x31424353)
                        f[0] ^= 0xff;
                    return (f, "bad_magic");
                }
            case 2: // truncated inside the payload: the length field lies
                {
                    var f = Ours();
                    return (f[..rng.Next(257, f.Length)], "length_mismatch");
                }
            case 3: // an unknown format version
                {
                    var f = Ours();
                    BitConverter.TryWriteBytes(f.AsSpan(4, 2), (ushort)rng.Next(2, 65536));
                    return (f, "unsupported_version");
                }
            case 4: // one to three bits flipped in the payload or the MAC: a forgery
                {
                    var f = Ours();
                    for (var k = rng.Next(1, 4); k > 0; k--)
                    {
                        var bit = rng.Next(224 * 8, f.Length * 8);
                        f[bit / 8] ^= (byte)(1 << (bit % 8));
                    }
                    // A flip may break a record's size field first: that is a bad record, also refused.
                    return (f, "bad_mac|bad_record");
                }
            case 5: // a record count that lies
                {
                    var f = Ours();
                    BitConverter.TryWriteBytes(f.AsSpan(12, 4), (uint)rng.Next(3, 1000));
                    return (f, "bad_record");
                }
            case 6: // a sender nobody registered
                {
                    var f = (byte[])golden.Clone();
                    Array.Clear(f, 128, 32);
                    System.Text.Encoding.ASCII.GetBytes("intruder" + (i % 97), f.AsSpan(128, 32));
                    return (f, "unknown_collector");
                }
            default: // payload size field says more than was sent
                {
                    var f = Ours();
                    BitConverter.TryWriteBytes(f.AsSpan(16, 4), (uint)(f.Length - 256 + rng.Next(1, 1 << 20)));
                    return (f, "length_mismatch");
                }
        }
    }

    [Fact]
    public async Task A_million_hostile_frames_are_all_refused_and_counted_by_reason_and_the_silo_stays_up()
    {
        var golden = GoldenFrame();
        var before = await Rejected();
        var expected = new Dictionary<string, long>();
        var rng = new Random(20261127);
        var rss = new List<long> { SiloRssBytes() };

        // Two halves: memory after the second must not be above memory after the first (no per-frame leak).
        using (var push = new PushSocket())
        {
            push.Options.SendHighWatermark = 100_000;
            push.Options.Linger = TimeSpan.FromSeconds(30);
            push.Connect(node.IngestEndpoint);
            // Oversized: refused. They go first: each passes through the transport's buffers once
            // (large-object heap, given back only at a full collection), which is not a per-frame
            // leak and would blur the comparison of the halves.
            var huge = new byte[(16 << 20) + 1];
            for (var k = 0; k < 4; k++)
                push.SendFrame(huge);
            expected["too_large"] = 4;
            await WaitForRejected(before, 4);
            for (var half = 0; half < 2; half++)
            {
                for (var i = half * Frames / 2; i < (half + 1) * Frames / 2; i++)
                {
                    var (frame, reason) = Hostile(i, rng, golden, node.MachineId);
                    expected[reason] = expected.GetValueOrDefault(reason) + 1;
                    push.SendFrame(frame);
                }
                await WaitForRejected(before, 4 + (half + 1) * (Frames / 2));
                await Task.Delay(TimeSpan.FromSeconds(2));
                rss.Add(SiloRssBytes());
            }
        }
        var delta = await WaitForRejected(before, Frames + 4);
        output.WriteLine("rejected by reason: " + string.Join(", ", delta.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key}={kv.Value}")));

        // Every frame refused, each exactly once, for the reason it deserved.
        Assert.Equal(Frames + 4, delta.Values.Sum());
        // A flipped bit may land in a record's size field (bad_record) rather than only break the MAC.
        var forged = expected["bad_mac|bad_record"];
        foreach (var (reason, n) in expected.Where(kv => !kv.Key.Contains('|', StringComparison.Ordinal)))
        {
            if (reason == "bad_record")
                Assert.InRange(delta.GetValueOrDefault(reason), n, n + forged);
            else
                Assert.Equal(n, delta.GetValueOrDefault(reason));
        }
        Assert.Equal(expected["bad_record"] + forged, delta.GetValueOrDefault("bad_record") + delta.GetValueOrDefault("bad_mac"));

        // Up, healthy, and its memory flat: the second half million left it no bigger than the first did.
        Assert.True(node.SiloRunning);
        Assert.True((await node.Http.GetAsync(new Uri("/health", UriKind.Relative))).IsSuccessStatusCode);
        output.WriteLine($"silo RSS: {string.Join(" → ", rss.Select(r => $"{r >> 20} MiB"))} (start, after 500k, after 1M)");
        Assert.True(rss[2] <= rss[1] + (32L << 20), $"silo RSS kept growing: {rss[1] >> 20} MiB after 500k frames, {rss[2] >> 20} MiB after 1M");
    }

    private async Task<Dictionary<string, long>> WaitForRejected(Dictionary<string, long> before, long total)
    {
        Dictionary<string, long> delta = [];
        for (var t = 0; t < 240; t++)
        {
            var now = await Rejected();
            delta = now.ToDictionary(kv => kv.Key, kv => kv.Value - before.GetValueOrDefault(kv.Key));
            if (delta.Values.Sum() >= total)
                break;
            await Task.Delay(250);
        }
        return delta;
    }
}
