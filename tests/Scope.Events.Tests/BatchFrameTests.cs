using System.Text.Json.Nodes;

namespace Scope.Events.Tests;

/// <summary>tests/golden/v1/batch.frame: a whole batch as the collector sends it, and batch.frame.json, its fields.</summary>
public sealed class BatchFrameTests
{
    [Fact]
    public void Parses_with_every_header_field_as_listed()
    {
        byte[] frame = Golden.Frame();
        JsonObject f = Golden.FrameJson();

        Assert.Equal(BatchRejectReason.None, BatchReader.TryParse(frame, out BatchHeader h, out ReadOnlySpan<byte> payload));
        Assert.Equal((uint)f["magic"]!, h.Magic);
        Assert.Equal(Wire.BatchMagic, h.Magic);
        Assert.Equal((ushort)f["version"]!, h.Version);
        Assert.Equal((ushort)f["header_size"]!, h.HeaderSize);
        Assert.Equal((uint)f["flags"]!, h.Flags);
        Assert.False(h.Final);
        Assert.Equal((uint)f["record_count"]!, h.RecordCount);
        Assert.Equal((uint)f["payload_size"]!, h.PayloadSize);
        Assert.Equal(frame.Length - 256, payload.Length);
        Assert.Equal((ulong)f["sequence"]!, h.Sequence);
        Assert.Equal((ulong)f["instance"]!, h.Instance);
        Assert.Equal((ulong)f["first_event"]!, h.FirstEvent);
        Assert.Equal((ulong)f["realtime_ns"]!, h.RealtimeNs);
        Assert.Equal((ulong)f["boottime_ns"]!, h.BoottimeNs);
        JsonArray drops = f["kernel_drops"]!.AsArray();
        Assert.Equal(drops.Select(d => (ulong)d!), h.KernelDrops.AsSpan().ToArray());
        Assert.Equal((ulong)drops[0]!, h.KernelDrops.Get(DropReason.RingBuffer));
        Assert.Equal((ulong)drops[1]!, h.KernelDrops.Get(DropReason.InflightFull));
        Assert.Equal((ulong)drops[2]!, h.KernelDrops.Get(DropReason.CountsFull));
        Assert.Equal((ulong)f["send_drops"]!, h.SendDrops);
        Assert.Equal((string)f["machine_id"]!, h.MachineId.AsString());
        Assert.Equal((string)f["collector_id"]!, h.CollectorId.AsString());
        Assert.Equal((string)f["task_id"]!, h.TaskId.AsString());
        Assert.Equal((string)f["collector_version"]!, h.CollectorVersion.AsString());
        Assert.Equal(Convert.FromHexString((string)f["mac"]!), h.Mac.AsSpan().ToArray());
        Assert.Equal(0ul, h.Reserved0);
        Assert.Equal(0ul, h.Reserved1);
    }

    [Fact]
    public void Verifies_with_the_secret_and_not_with_another()
    {
        byte[] frame = Golden.Frame();
        using var auth = new BatchAuthenticator(Golden.Secret());
        Assert.True(auth.Verify(frame));
        Assert.True(auth.Verify(frame)); // reusable

        using var other = new BatchAuthenticator("scope-golden-secreT"u8);
        Assert.False(other.Verify(frame));
        Assert.Equal(BatchRejectReason.BadMac, BatchReader.TryParse(frame, other, out _, out ReadOnlySpan<byte> payload));
        Assert.True(payload.IsEmpty);
        Assert.Equal(BatchRejectReason.None, BatchReader.TryParse(frame, auth, out _, out payload));
        Assert.Equal(frame.Length - 256, payload.Length);
    }

    [Fact]
    public void Mac_bytes_are_the_listed_ones()
    {
        byte[] frame = Golden.Frame();
        Assert.Equal((string)Golden.FrameJson()["mac"]!, Convert.ToHexStringLower(frame.AsSpan(Wire.MacOffset, Wire.MacLength)));
    }

    [Fact]
    public void Records_are_the_named_vectors_in_order()
    {
        byte[] frame = Golden.Frame();
        string[] names = Golden.FrameJson()["records"]!.AsArray().Select(n => (string)n!).ToArray();
        Assert.Equal(BatchRejectReason.None, BatchReader.TryParse(frame, out _, out ReadOnlySpan<byte> payload));

        int i = 0;
        var records = BatchReader.EnumerateRecords(payload);
        while (records.MoveNext())
        {
            Record r = records.Current;
            Assert.True(i < names.Length);
            Assert.Equal(Golden.RecordBytes(names[i]), r.Bytes.ToArray());
            JsonAssert.Same(Golden.RecordJson(names[i]), JsonNode.Parse(EventJson.ToJson(r)));
            i++;
        }

        Assert.Equal(names.Length, i);
        Assert.Equal(BatchRejectReason.None, records.Error);
    }

    [Fact]
    public void Sign_reproduces_the_frame()
    {
        byte[] frame = Golden.Frame();
        byte[] copy = (byte[])frame.Clone();
        copy.AsSpan(Wire.MacOffset, Wire.MacLength).Clear();
        using var auth = new BatchAuthenticator(Golden.Secret());
        Assert.False(auth.Verify(copy));
        auth.Sign(copy);
        Assert.Equal(frame, copy);

        // Whatever the mac field held before does not matter.
        copy.AsSpan(Wire.MacOffset, Wire.MacLength).Fill(0xA5);
        auth.Sign(copy);
        Assert.Equal(frame, copy);
    }

    [Fact]
    public void Wall_clock_from_the_batch_clock_pair()
    {
        Assert.Equal(BatchRejectReason.None, BatchReader.TryParse(Golden.Frame(), out BatchHeader h, out _));
        Assert.Equal(1_700_000_000_123_456_789L, WallClock.UnixNanos(5_000_000_000, h));

        // An event from before the header's clock reading (the usual case) lands before its realtime.
        Assert.Equal(1_700_000_000_123_456_789L - 4_999_996_000, WallClock.UnixNanos(4_000, h));
        Assert.Equal(1_700_000_000_123_457_789L, WallClock.UnixNanos(5_000_001_000, h));
        Assert.Equal(
            DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123).AddTicks(4567),
            WallClock.FromBoot(5_000_000_000, h));
    }

    [Fact]
    public void Authenticator_refuses_an_empty_secret_and_short_frames()
    {
        Assert.Throws<ArgumentException>(() => new BatchAuthenticator(ReadOnlySpan<byte>.Empty));
        using var auth = new BatchAuthenticator(Golden.Secret());
        Assert.False(auth.Verify(new byte[255]));
        Assert.Throws<ArgumentException>(() => auth.Sign(new byte[255]));
        auth.Dispose();
        Assert.Throws<ObjectDisposedException>(() => auth.Verify(Golden.Frame()));
    }
}
