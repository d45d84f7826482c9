using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_syscall_counts</c>, 1080 bytes: cumulative per-process syscall totals since the
/// collector began watching the process. A process with more than 32 distinct syscalls yields several
/// records with the same <c>(pid, start_ns, ts_ns)</c>; a reader sums them, and the newest ts_ns wins.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct SyscallCounts
{
    /// <summary>The record header.</summary>
    public EventHeader Hdr;

    /// <summary>Valid entries in <see cref="Entries"/> (a reader caps it at 32).</summary>
    public ushort N;

    /// <summary><see cref="Wire.CountsFinal"/>, <see cref="Wire.CountsEnterOnly"/>.</summary>
    public ushort Flags;

    /// <summary>Padding, zero.</summary>
    public uint Pad0;

    /// <summary>The entries; those past <see cref="N"/> are zero.</summary>
    public CountEntries32 Entries;

    /// <summary>The process has exited: these totals will not grow.</summary>
    public readonly bool Final => (Flags & Wire.CountsFinal) != 0;

    /// <summary>Counted at entry: no errors and no latency.</summary>
    public readonly bool EnterOnly => (Flags & Wire.CountsEnterOnly) != 0;

    /// <summary>The valid entries (<see cref="N"/>, capped at 32), without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<SyscallCount> Valid => Entries.AsSpan()[..Math.Min((int)N, CountEntries32.Length)];
}
