using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>__u8 mac[32]</c>: an HMAC-SHA256.</summary>
[InlineArray(Length)]
public struct Mac32
{
    /// <summary>The number of elements.</summary>
    public const int Length = 32;

    private byte _element0;

    /// <summary>All elements, without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> AsSpan() => MemoryMarshal.CreateReadOnlySpan(in _element0, Length);
}
