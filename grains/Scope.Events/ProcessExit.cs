using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>struct scope_process_exit</c>, 72 bytes: once per process, when its last thread exits.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct ProcessExit
{
    /// <summary>The record header.</summary>
    public EventHeader Hdr;

    /// <summary>Who the process was.</summary>
    public ProcessInfo Info;

    /// <summary>The status passed to exit(); 0 when a signal ended it.</summary>
    public int ExitCode;

    /// <summary>The terminating signal, or 0.</summary>
    public ushort Signal;

    /// <summary><see cref="Wire.ExitCoreDumped"/>.</summary>
    public ushort Flags;

    /// <summary>The process dumped core.</summary>
    public readonly bool CoreDumped => (Flags & Wire.ExitCoreDumped) != 0;
}
