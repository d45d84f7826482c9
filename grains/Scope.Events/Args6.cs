using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>__u64 args[6]</c>: the raw syscall arguments.</summary>
[InlineArray(Length)]
public struct Args6
{
    /// <summary>The number of elements.</summary>
    public const int Length = 6;

    private ulong _element0;

    /// <summary>All elements, without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<ulong> AsSpan() => MemoryMarshal.CreateReadOnlySpan(in _element0, Length);
}
