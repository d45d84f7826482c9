using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// One validated record inside a payload: its bytes have exactly the size its type has, so reading it
/// as that type's struct is safe. Nothing is copied; the record lives as long as the payload buffer.
/// </summary>
public readonly ref struct Record
{
    internal Record(RecordType type, ReadOnlySpan<byte> bytes)
    {
        Type = type;
        Bytes = bytes;
    }

    /// <summary>The record type (always one <see cref="Wire.RecordSize"/> knows).</summary>
    public RecordType Type { get; }

    /// <summary>The record's bytes, header included.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The header every record starts with.</summary>
    public ref readonly EventHeader Header => ref MemoryMarshal.AsRef<EventHeader>(Bytes);

    /// <summary>
    /// The record as a wire struct, in place. Pick the struct of <see cref="Type"/>, or a prefix of it
    /// (<see cref="Syscall"/> reads a <see cref="RecordType.SyscallData"/> record too).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><typeparamref name="T"/> is larger than the record.</exception>
    public ref readonly T As<T>()
        where T : unmanaged => ref MemoryMarshal.AsRef<T>(Bytes);
}
