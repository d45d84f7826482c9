using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>__u32[3]</c>: a CUDA grid or block size (x, y, z).</summary>
[InlineArray(Length)]
public struct Dim3
{
    /// <summary>The number of elements.</summary>
    public const int Length = 3;

    private uint _element0;

    /// <summary>All elements, without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<uint> AsSpan() => MemoryMarshal.CreateReadOnlySpan(in _element0, Length);
}
