using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>struct scope_syscall_count</c>, 32 bytes: one syscall's totals in a <see cref="SyscallCounts"/> record.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct SyscallCount
{
    /// <summary>The syscall number.</summary>
    public uint Nr;

    /// <summary>Padding, zero.</summary>
    public uint Pad0;

    /// <summary>Calls.</summary>
    public ulong Count;

    /// <summary>Returns in -4095..-1; 0 in enter-only mode.</summary>
    public ulong Errors;

    /// <summary>Summed latency, ns; 0 in enter-only mode.</summary>
    public ulong TotalNs;
}
