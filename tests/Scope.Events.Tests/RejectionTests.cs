using System.Buffers.Binary;

namespace Scope.Events.Tests;

/// <summary>Nothing but the frame the collector signed is accepted, and each refusal says why.</summary>
public sealed class RejectionTests
{
    [Fact]
    public void Every_single_bit_flip_is_refused()
    {
        byte[] frame = Golden.Frame();
        using var auth = new BatchAuthenticator(Golden.Secret());
        for (int bit = 0; bit < frame.Length * 8; bit++)
        {
            byte[] f = (byte[])frame.Clone();
            f[bit / 8] ^= (byte)(1 << (bit % 8));
            int at = bit / 8;
            BatchRejectReason reason = BatchReader.TryParse(f, out _, out _);
            BatchRejectReason expected = at switch
            {
                < 4 => BatchRejectReason.BadMagic,
                < 6 => BatchRejectReason.UnsupportedVersion,
                < 8 => BatchRejectReason.BadHeaderSize,
                >= 12 and < 16 => BatchRejectReason.BadRecord,      // record_count
                >= 16 and < 20 => BatchRejectReason.LengthMismatch, // payload_size
                _ => reason is BatchRejectReason.BadRecord ? reason : BatchRejectReason.None,
            };
            Assert.True(expected == reason, $"byte {at} bit {bit % 8}: {reason}, expected {expected}");
            Assert.False(auth.Verify(f), $"byte {at} bit {bit % 8}: MAC still verifies");
            Assert.NotEqual(BatchRejectReason.None, Frames.Accept(f, auth));
        }
    }

    [Fact]
    public void A_flip_in_a_record_size_or_type_is_a_bad_record_or_a_bad_mac()
    {
        byte[] frame = Golden.Frame();
        using var auth = new BatchAuthenticator(Golden.Secret());

        byte[] size = (byte[])frame.Clone();
        size[256 + 2] ^= 1; // first record's size: 120 -> 121
        Assert.Equal(BatchRejectReason.BadRecord, BatchReader.TryParse(size, out _, out _));

        byte[] type = (byte[])frame.Clone();
        type[256 + 1] ^= 0x80; // type 4 -> 0x8004, unknown, and its size is sound: only the MAC catches it
        Assert.Equal(BatchRejectReason.None, BatchReader.TryParse(type, out _, out _));
        Assert.Equal(BatchRejectReason.BadMac, Frames.Accept(type, auth));
    }

    [Fact]
    public void Every_truncation_is_refused()
    {
        byte[] frame = Golden.Frame();
        using var auth = new BatchAuthenticator(Golden.Secret());
        for (int len = 0; len < frame.Length; len++)
        {
            BatchRejectReason reason = BatchReader.TryParse(frame.AsSpan(0, len), out _, out ReadOnlySpan<byte> payload);
            Assert.Equal(len < Wire.BatchHeaderSize ? BatchRejectReason.TooShort : BatchRejectReason.LengthMismatch, reason);
            Assert.True(payload.IsEmpty);
            Assert.False(auth.Verify(frame.AsSpan(0, len)));
        }

        Assert.Equal(BatchRejectReason.LengthMismatch, BatchReader.TryParse([.. frame, 0], out _, out _));
    }

    [Fact]
    public void A_wrong_version_is_unsupported_even_when_signed()
    {
        using var auth = new BatchAuthenticator(Golden.Secret());
        foreach (ushort version in new ushort[] { 0, 2, 0xFFFF })
        {
            byte[] f = Frames.Build(Records(), tamper: b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(4), version));
            Assert.True(auth.Verify(f));
            Assert.Equal(BatchRejectReason.UnsupportedVersion, BatchReader.TryParse(f, out BatchHeader h, out _));
            Assert.Equal(version, h.Version);
        }
    }

    [Fact]
    public void A_wrong_magic_or_header_size_is_refused_even_when_signed()
    {
        using var auth = new BatchAuthenticator(Golden.Secret());
        byte[] magic = Frames.Build(Records(), tamper: b => b[3] = (byte)'2');
        Assert.Equal(BatchRejectReason.BadMagic, Frames.Accept(magic, auth));
        byte[] header = Frames.Build(Records(), tamper: b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(6), 264));
        Assert.Equal(BatchRejectReason.BadHeaderSize, Frames.Accept(header, auth));
    }

    [Fact]
    public void A_payload_size_that_lies_is_a_length_mismatch()
    {
        using var auth = new BatchAuthenticator(Golden.Secret());
        foreach (int delta in new[] { -1, 1, -120, 8, int.MinValue })
        {
            byte[] f = Frames.Build(Records(), tamper: b =>
            {
                uint size = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(16));
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), unchecked(size + (uint)delta));
            });
            Assert.True(auth.Verify(f));
            Assert.Equal(BatchRejectReason.LengthMismatch, Frames.Accept(f, auth));
        }
    }

    [Fact]
    public void A_record_size_that_lies_is_a_bad_record()
    {
        using var auth = new BatchAuthenticator(Golden.Secret());
        byte[] read = Golden.RecordBytes("syscall_read");
        foreach (ushort size in new ushort[] { 0, 47, 48, 119, 121, 384, 0xFFFF })
        {
            byte[] liar = (byte[])read.Clone();
            BinaryPrimitives.WriteUInt16LittleEndian(liar.AsSpan(2), size);
            byte[] f = Frames.Build([liar, Golden.RecordBytes("process_exit")]);
            Assert.Equal(BatchRejectReason.BadRecord, Frames.Accept(f, auth));

            var records = BatchReader.EnumerateRecords(f.AsSpan(Wire.BatchHeaderSize));
            Assert.False(records.MoveNext());
            Assert.Equal(BatchRejectReason.BadRecord, records.Error);
        }
    }

    [Fact]
    public void A_record_count_that_lies_is_a_bad_record()
    {
        using var auth = new BatchAuthenticator(Golden.Secret());
        Assert.Equal(BatchRejectReason.None, Frames.Accept(Frames.Build(Records()), auth));
        Assert.Equal(BatchRejectReason.BadRecord, Frames.Accept(Frames.Build(Records(), recordCount: 1), auth));
        Assert.Equal(BatchRejectReason.BadRecord, Frames.Accept(Frames.Build(Records(), recordCount: 3), auth));
        Assert.Equal(BatchRejectReason.BadRecord, Frames.Accept(Frames.Build(Records(), recordCount: uint.MaxValue), auth));
    }

    [Fact]
    public void A_truncated_record_stops_the_walk()
    {
        byte[] payload = [.. Golden.RecordBytes("syscall_read"), .. Golden.RecordBytes("process_exit").AsSpan(0, 71)];
        var records = BatchReader.EnumerateRecords(payload);
        Assert.True(records.MoveNext());
        Assert.Equal(RecordType.Syscall, records.Current.Type);
        Assert.False(records.MoveNext());
        Assert.Equal(BatchRejectReason.BadRecord, records.Error);
        Assert.False(records.MoveNext());

        // Shorter than a header.
        records = BatchReader.EnumerateRecords(payload.AsSpan(0, 120 + 47));
        Assert.True(records.MoveNext());
        Assert.False(records.MoveNext());
        Assert.Equal(BatchRejectReason.BadRecord, records.Error);
    }

    [Fact]
    public void An_unknown_record_type_with_a_valid_size_is_skipped_and_counted()
    {
        using var auth = new BatchAuthenticator(Golden.Secret());
        byte[] f = Frames.Build([
            Frames.Unknown(99, 64),
            Golden.RecordBytes("syscall_read"),
            Frames.Unknown(0, 48),
            Frames.Unknown(1000, 1000),
            Golden.RecordBytes("process_exit"),
            Frames.Unknown(0xFFFF, 56),
        ]);
        Assert.Equal(BatchRejectReason.None, BatchReader.TryParse(f, auth, out BatchHeader h, out ReadOnlySpan<byte> payload));
        Assert.Equal(6u, h.RecordCount);

        var records = BatchReader.EnumerateRecords(payload);
        var types = new List<RecordType>();
        while (records.MoveNext())
        {
            types.Add(records.Current.Type);
        }

        Assert.Equal([RecordType.Syscall, RecordType.ProcessExit], types);
        Assert.Equal(4, records.UnknownRecords);
        Assert.Equal(BatchRejectReason.None, records.Error);
    }

    [Fact]
    public void An_unknown_record_type_needs_a_sound_size()
    {
        foreach (ushort size in new ushort[] { 0, 47, 200 })
        {
            byte[] unknown = Frames.Unknown(99, 64);
            BinaryPrimitives.WriteUInt16LittleEndian(unknown.AsSpan(2), size);
            var records = BatchReader.EnumerateRecords(unknown);
            Assert.False(records.MoveNext());
            Assert.Equal(BatchRejectReason.BadRecord, records.Error);
            Assert.Equal(0, records.UnknownRecords);
        }
    }

    [Fact]
    public void An_empty_batch_is_fine()
    {
        using var auth = new BatchAuthenticator(Golden.Secret());
        byte[] f = Frames.Build([], tamper: b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), Wire.BatchFinal));
        Assert.Equal(BatchRejectReason.None, BatchReader.TryParse(f, auth, out BatchHeader h, out ReadOnlySpan<byte> payload));
        Assert.True(h.Final);
        Assert.True(payload.IsEmpty);
        Assert.False(BatchReader.EnumerateRecords(payload).MoveNext());
    }

    private static byte[][] Records() => [Golden.RecordBytes("syscall_read"), Golden.RecordBytes("process_exit")];
}
