using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_syscall_hist</c>, 440 bytes: one syscall's cumulative latency histogram for one
/// process (buckets as <see cref="Histogram"/> defines them).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct SyscallHist
{
    /// <summary>The record header.</summary>
    public EventHeader Hdr;

    /// <summary>The syscall number.</summary>
    public uint Nr;

    /// <summary><see cref="Wire.CountsFinal"/>.</summary>
    public ushort Flags;

    /// <summary>Padding, zero.</summary>
    public ushort Pad0;

    /// <summary>Calls per latency bucket.</summary>
    public Buckets96 Buckets;

    /// <summary>The process has exited: the histogram will not grow.</summary>
    public readonly bool Final => (Flags & Wire.CountsFinal) != 0;
}
