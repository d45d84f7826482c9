using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_process_fork</c>, 80 bytes. The header and <see cref="Info"/> describe the parent;
/// new threads are not forks and are not reported.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct ProcessFork
{
    /// <summary>The record header (of the parent).</summary>
    public EventHeader Hdr;

    /// <summary>Who the parent is.</summary>
    public ProcessInfo Info;

    /// <summary>The new process.</summary>
    public uint ChildPid;

    /// <summary>Padding, zero.</summary>
    public uint Pad0;

    /// <summary>The new process's start time: with <see cref="ChildPid"/>, its unique key.</summary>
    public ulong ChildStartNs;
}
