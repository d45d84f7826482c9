using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>char[256]</c> that holds bytes (captured syscall data: a path or a sockaddr).</summary>
[InlineArray(Length)]
public struct Bytes256
{
    /// <summary>The number of elements.</summary>
    public const int Length = 256;

    private byte _element0;

    /// <summary>All elements, without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> AsSpan() => MemoryMarshal.CreateReadOnlySpan(in _element0, Length);
}
