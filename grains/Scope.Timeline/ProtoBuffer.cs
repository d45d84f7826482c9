using System.Buffers.Binary;
using System.Text;

namespace Scope.Timeline;

/// <summary>
/// A protobuf encoder for the handful of messages a trace needs: varints, fixed64, strings and nested
/// messages. A nested message is written in place and its length filled in at its end, moving the body
/// when the length needs more than the one byte reserved for it (rare: most bodies are short).
/// </summary>
internal sealed class ProtoBuffer
{
    private const int Varint = 0;
    private const int Fixed64Type = 1;
    private const int LengthDelimited = 2;

    private byte[] _buffer = new byte[1024];
    private int _length;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public int Length => _length;

    public void Clear() => _length = 0;

    /// <summary>Bytes already encoded (a whole packet), as they are.</summary>
    public void AppendRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public void UInt64(int field, ulong value)
    {
        Tag(field, Varint);
        WriteVarint(value);
    }

    // int32 and int64 both encode negatives as ten-byte two's complement varints.
    public void Int64(int field, long value) => UInt64(field, unchecked((ulong)value));

    public void Bool(int field, bool value) => UInt64(field, value ? 1UL : 0UL);

    public void Fixed64(int field, ulong value)
    {
        Tag(field, Fixed64Type);
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void Double(int field, double value) => Fixed64(field, BitConverter.DoubleToUInt64Bits(value));

    public void String(int field, string value)
    {
        Tag(field, LengthDelimited);
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Ensure(max + 10);

        // Encode after a maximal length slot, then close the gap: one pass over the text.
        int slot = VarintSize((ulong)max);
        int n = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + slot));
        int used = VarintSize((ulong)n);
        if (used != slot)
            _buffer.AsSpan(_length + slot, n).CopyTo(_buffer.AsSpan(_length + used));
        WriteVarint((ulong)n);
        _length += n;
    }

    /// <summary>Starts a nested message; pass the result to <see cref="EndMessage"/>.</summary>
    public int BeginMessage(int field)
    {
        Tag(field, LengthDelimited);
        Ensure(1);
        return _length++;
    }

    public void EndMessage(int slot)
    {
        int body = _length - slot - 1;
        int size = VarintSize((ulong)body);
        if (size > 1)
        {
            Ensure(size - 1);
            _buffer.AsSpan(slot + 1, body).CopyTo(_buffer.AsSpan(slot + size));
            _length += size - 1;
        }

        int end = _length;
        _length = slot;
        WriteVarint((ulong)body);
        _length = end;
    }

    private static int VarintSize(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }

    private void Tag(int field, int wireType) => WriteVarint(((ulong)field << 3) | (uint)wireType);

    private void WriteVarint(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[_length++] = (byte)value;
    }

    private void Ensure(int more)
    {
        if (_length + more > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
    }
}
