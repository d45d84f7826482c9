using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>struct scope_event_header</c>, 48 bytes, at the start of every record.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct EventHeader
{
    /// <summary>The record type; may be one this version does not know.</summary>
    public RecordType Type;

    /// <summary>The whole record's size, header included: how a reader skips types it does not know.</summary>
    public ushort Size;

    /// <summary>The CPU the event was seen on.</summary>
    public uint Cpu;

    /// <summary>When it happened, CLOCK_BOOTTIME ns (for a syscall: its entry).</summary>
    public ulong TsNs;

    /// <summary>When the process (thread-group leader) started: with <see cref="Pid"/>, a unique process key.</summary>
    public ulong StartNs;

    /// <summary>Thread-group id.</summary>
    public uint Pid;

    /// <summary>Thread id.</summary>
    public uint Tid;

    /// <summary>The task name, NUL-padded.</summary>
    public Comm16 Comm;
}
