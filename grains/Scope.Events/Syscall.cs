using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>struct scope_syscall</c>, 120 bytes: one syscall with its raw arguments, result and latency.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct Syscall
{
    /// <summary>The record header; <see cref="EventHeader.TsNs"/> is the entry time.</summary>
    public EventHeader Hdr;

    /// <summary>The x86_64 syscall number (<see cref="SyscallTable"/>).</summary>
    public uint Nr;

    /// <summary><see cref="Wire.SyscallDataTruncated"/>, <see cref="Wire.SyscallNoReturn"/>.</summary>
    public ushort Flags;

    /// <summary>Padding, zero.</summary>
    public ushort Pad0;

    /// <summary>The return value; -4095..-1 is an error (-errno).</summary>
    public long Ret;

    /// <summary>Entry to exit, ns.</summary>
    public ulong DurNs;

    /// <summary>The six argument registers.</summary>
    public Args6 Args;

    /// <summary>The captured data was cut (only meaningful in a <see cref="SyscallData"/> record).</summary>
    public readonly bool DataTruncated => (Flags & Wire.SyscallDataTruncated) != 0;

    /// <summary>exit/exit_group: recorded at entry; <see cref="Ret"/> and <see cref="DurNs"/> are 0.</summary>
    public readonly bool NoReturn => (Flags & Wire.SyscallNoReturn) != 0;

    /// <summary>The call failed: <see cref="Ret"/> is -errno.</summary>
    public readonly bool IsError => Ret is < 0 and >= -4095;
}
