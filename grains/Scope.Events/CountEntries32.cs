using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>struct scope_syscall_count e[32]</c>: the entries of a <see cref="SyscallCounts"/> record.</summary>
[InlineArray(Length)]
public struct CountEntries32
{
    /// <summary>The number of elements.</summary>
    public const int Length = 32;

    private SyscallCount _element0;

    /// <summary>All elements, without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<SyscallCount> AsSpan() => MemoryMarshal.CreateReadOnlySpan(in _element0, Length);
}
