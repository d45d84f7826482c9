using System.Security.Cryptography;

namespace Scope.Events;

/// <summary>
/// Checks and makes batch MACs: HMAC-SHA256 under one collector's secret, over the frame with the
/// 32-byte mac field taken as zero. Keep one per collector: the keyed state is reused, so verifying
/// allocates nothing. Not thread-safe: use one instance per thread (or lock).
/// </summary>
public sealed class BatchAuthenticator : IDisposable
{
    private static readonly byte[] s_zeroMac = new byte[Wire.MacLength];

    private readonly IncrementalHash _hmac;

    /// <summary>Keys the authenticator with a collector's secret.</summary>
    /// <exception cref="ArgumentException">The secret is empty (the collector refuses one too).</exception>
    public BatchAuthenticator(ReadOnlySpan<byte> secret)
    {
        if (secret.IsEmpty)
        {
            throw new ArgumentException("A batch secret must not be empty.", nameof(secret));
        }

        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
    }

    /// <summary>
    /// True when the frame's MAC is the one this secret gives, compared in constant time. Checks nothing
    /// else: run <see cref="BatchReader.TryParse(ReadOnlySpan{byte}, out BatchHeader, out ReadOnlySpan{byte})"/> too.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < Wire.BatchHeaderSize)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[Wire.MacLength];
        Compute(frame, mac);
        return CryptographicOperations.FixedTimeEquals(mac, frame.Slice(Wire.MacOffset, Wire.MacLength));
    }

    /// <summary>Writes the MAC into the frame's mac field, whatever it held (for tests and tools).</summary>
    /// <exception cref="ArgumentException">The frame is shorter than a batch header.</exception>
    public void Sign(Span<byte> frame)
    {
        if (frame.Length < Wire.BatchHeaderSize)
        {
            throw new ArgumentException("A frame starts with a 256-byte header.", nameof(frame));
        }

        // Everything is read before GetHashAndReset writes, so the old MAC never feeds the new one.
        Compute(frame, frame.Slice(Wire.MacOffset, Wire.MacLength));
    }

    /// <inheritdoc/>
    public void Dispose() => _hmac.Dispose();

    private void Compute(ReadOnlySpan<byte> frame, Span<byte> mac)
    {
        _hmac.AppendData(frame[..Wire.MacOffset]);
        _hmac.AppendData(s_zeroMac);
        _hmac.AppendData(frame[(Wire.MacOffset + Wire.MacLength)..]);
        _hmac.GetHashAndReset(mac);
    }
}
