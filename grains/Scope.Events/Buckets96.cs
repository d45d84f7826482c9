using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>__u32 buckets[96]</c>: latency histogram buckets (see <see cref="Histogram"/>).</summary>
[InlineArray(Length)]
public struct Buckets96
{
    /// <summary>The number of elements.</summary>
    public const int Length = 96;

    private uint _element0;

    /// <summary>All elements, without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<uint> AsSpan() => MemoryMarshal.CreateReadOnlySpan(in _element0, Length);
}
