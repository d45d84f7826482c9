using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>Reads batch frames: header checks and record walking, without copying the payload or allocating.</summary>
public static class BatchReader
{
    /// <summary>
    /// Checks a frame's structure: magic, version, header size, that the payload size is the frame's
    /// length less the header, and that the records fill the payload exactly, as many as the header says.
    /// Does not check the MAC: use <see cref="BatchAuthenticator.Verify"/> or the overload that takes one.
    /// </summary>
    /// <param name="frame">A whole batch as received.</param>
    /// <param name="header">A copy of the header whenever the frame is at least 256 bytes long, even when refused (for diagnostics).</param>
    /// <param name="payload">The records, a slice of <paramref name="frame"/>; empty unless accepted.</param>
    /// <returns><see cref="BatchRejectReason.None"/> when the structure is sound.</returns>
    public static BatchRejectReason TryParse(ReadOnlySpan<byte> frame, out BatchHeader header, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (frame.Length < Wire.BatchHeaderSize)
        {
            header = default;
            return BatchRejectReason.TooShort;
        }

        header = MemoryMarshal.Read<BatchHeader>(frame);
        if (header.Magic != Wire.BatchMagic)
        {
            return BatchRejectReason.BadMagic;
        }

        if (header.Version != Wire.Version)
        {
            return BatchRejectReason.UnsupportedVersion;
        }

        if (header.HeaderSize != Wire.BatchHeaderSize)
        {
            return BatchRejectReason.BadHeaderSize;
        }

        if (header.PayloadSize != (uint)(frame.Length - Wire.BatchHeaderSize))
        {
            return BatchRejectReason.LengthMismatch;
        }

        ReadOnlySpan<byte> records = frame[Wire.BatchHeaderSize..];
        var walk = new RecordEnumerator(records);
        long known = 0;
        while (walk.MoveNext())
        {
            known++;
        }

        if (walk.Error != BatchRejectReason.None || known + walk.UnknownRecords != header.RecordCount)
        {
            return BatchRejectReason.BadRecord;
        }

        payload = records;
        return BatchRejectReason.None;
    }

    /// <summary>
    /// <see cref="TryParse(ReadOnlySpan{byte}, out BatchHeader, out ReadOnlySpan{byte})"/>, then the MAC:
    /// what a receiver runs before it believes anything in the frame.
    /// </summary>
    public static BatchRejectReason TryParse(
        ReadOnlySpan<byte> frame, BatchAuthenticator authenticator, out BatchHeader header, out ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(authenticator);
        BatchRejectReason reason = TryParse(frame, out header, out payload);
        if (reason == BatchRejectReason.None && !authenticator.Verify(frame))
        {
            payload = default;
            return BatchRejectReason.BadMac;
        }

        return reason;
    }

    /// <summary>The records of a payload (from <c>TryParse</c>, or one or more records back to back).</summary>
    public static RecordEnumerator EnumerateRecords(ReadOnlySpan<byte> payload) => new(payload);
}
