using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_cuda_stack</c> (312 bytes): the user call stack of the CUDA call that follows it with
/// the same tid and ts_ns (that call has <see cref="Wire.CudaHasStack"/>). All entries are return
/// addresses: the call site is the byte before each.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
[SuppressMessage("Naming", "CA1711", Justification = "A call stack record, named as the wire names it, not a Stack<T>.")]
public struct CudaStack
{
    /// <summary>The common header.</summary>
    public EventHeader Hdr;

    /// <summary>The <see cref="CudaApi"/> of the call.</summary>
    public ushort Api;

    /// <summary>Valid entries in <see cref="Ips"/> (a reader caps it at <see cref="Wire.StackMax"/>).</summary>
    public ushort N;

    /// <summary><see cref="Wire.StackTruncated"/>.</summary>
    public uint Flags;

    /// <summary>The return addresses, innermost first; those past <see cref="N"/> are zero.</summary>
    public Ips32 Ips;

    /// <summary>The stack was deeper than <see cref="Wire.StackMax"/>.</summary>
    public readonly bool Truncated => (Flags & Wire.StackTruncated) != 0;

    /// <summary>The valid entries (<see cref="N"/>, capped at <see cref="Wire.StackMax"/>), without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<ulong> Valid => Ips.AsSpan()[..Math.Min((int)N, Ips32.Length)];
}
