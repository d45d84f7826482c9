using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>__u64 [SCOPE_STACK_MAX]</c>: the addresses of a user call stack (<see cref="CudaStack.Ips"/>, <see cref="PythonSample.Native"/>).</summary>
[InlineArray(Length)]
public struct Ips32
{
    /// <summary>The number of elements (<see cref="Wire.StackMax"/>).</summary>
    public const int Length = Wire.StackMax;

    private ulong _element0;

    /// <summary>All elements, without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<ulong> AsSpan() => MemoryMarshal.CreateReadOnlySpan(in _element0, Length);
}
