using System.Buffers.Binary;

namespace Scope.Events.Tests;

/// <summary>Builds frames for the tests from the golden header: records, counts and sizes as asked, then signed.</summary>
internal static class Frames
{
    public static byte[] Build(IEnumerable<byte[]> records, uint? recordCount = null, Action<byte[]>? tamper = null)
    {
        byte[][] list = records.ToArray();
        byte[] payload = list.SelectMany(r => r).ToArray();
        byte[] frame = [.. Golden.Frame().AsSpan(0, Wire.BatchHeaderSize), .. payload];
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(12), recordCount ?? (uint)list.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(16), (uint)payload.Length);
        tamper?.Invoke(frame);
        using var auth = new BatchAuthenticator(Golden.Secret());
        auth.Sign(frame);
        return frame;
    }

    /// <summary>A record of a type this version does not know, with an honest size field.</summary>
    public static byte[] Unknown(ushort type, ushort size)
    {
        byte[] r = new byte[size];
        BinaryPrimitives.WriteUInt16LittleEndian(r, type);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(2), size);
        r.AsSpan(Wire.EventHeaderSize).Fill(0x5A);
        return r;
    }

    public static BatchRejectReason Accept(ReadOnlySpan<byte> frame, BatchAuthenticator auth) =>
        BatchReader.TryParse(frame, auth, out _, out _);
}
