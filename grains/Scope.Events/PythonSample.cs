using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_python_sample</c> (1336 bytes): one CPU-time sample of a thread running Python, with
/// its Python frames and its native user stack, both innermost first.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct PythonSample
{
    /// <summary>The common header.</summary>
    public EventHeader Hdr;

    /// <summary>Valid entries in <see cref="Frames"/> (a reader caps it at <see cref="Wire.PyMaxFrames"/>).</summary>
    public ushort N;

    /// <summary><see cref="Wire.PyTruncated"/>, <see cref="Wire.PyNoThreadState"/>.</summary>
    public ushort Flags;

    /// <summary>The interpreter's version as <c>major &lt;&lt; 8 | minor</c>: 0x030b for 3.11.</summary>
    public ushort Version;

    /// <summary>Valid entries in <see cref="Native"/> (a reader caps it at <see cref="Wire.StackMax"/>).</summary>
    public ushort NNative;

    /// <summary>The Python frames, innermost first; those past <see cref="N"/> are zero.</summary>
    public PyFrames64 Frames;

    /// <summary>
    /// The native user stack, innermost first. Unlike <see cref="CudaStack.Ips"/> these are instruction
    /// pointers, not return addresses: each is the address itself, not the byte after a call.
    /// </summary>
    public Ips32 Native;

    /// <summary>The Python stack was deeper than <see cref="Wire.PyMaxFrames"/>.</summary>
    public readonly bool Truncated => (Flags & Wire.PyTruncated) != 0;

    /// <summary>The thread had no Python thread state (not running Python): <see cref="N"/> is 0.</summary>
    public readonly bool NoThreadState => (Flags & Wire.PyNoThreadState) != 0;

    /// <summary>The interpreter's major version (3).</summary>
    public readonly int VersionMajor => Version >> 8;

    /// <summary>The interpreter's minor version (11 for 3.11).</summary>
    public readonly int VersionMinor => Version & 0xff;

    /// <summary>The valid frames (<see cref="N"/>, capped at <see cref="Wire.PyMaxFrames"/>), without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<PyFrame> ValidFrames => Frames.AsSpan()[..Math.Min((int)N, PyFrames64.Length)];

    /// <summary>The valid native addresses (<see cref="NNative"/>, capped at <see cref="Wire.StackMax"/>), without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<ulong> ValidNative => Native.AsSpan()[..Math.Min((int)NNative, Ips32.Length)];
}
