using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>char[1024]</c> that holds bytes (exec arguments, NUL-separated).</summary>
[InlineArray(Length)]
public struct Bytes1024
{
    /// <summary>The number of elements.</summary>
    public const int Length = 1024;

    private byte _element0;

    /// <summary>All elements, without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> AsSpan() => MemoryMarshal.CreateReadOnlySpan(in _element0, Length);
}
