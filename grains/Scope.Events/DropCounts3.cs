using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>__u64 kernel_drops[3]</c>, indexed by <see cref="DropReason"/>.</summary>
[InlineArray(Length)]
public struct DropCounts3
{
    /// <summary>The number of elements.</summary>
    public const int Length = 3;

    private ulong _element0;

    /// <summary>All elements, without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<ulong> AsSpan() => MemoryMarshal.CreateReadOnlySpan(in _element0, Length);

    /// <summary>The cumulative count for one reason.</summary>
    public readonly ulong Get(DropReason reason) => AsSpan()[(int)reason];
}
