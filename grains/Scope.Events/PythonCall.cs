using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_python_call</c> (320 bytes): a call the interpreter's USDT probes saw, written at
/// its return; <see cref="EventHeader.TsNs"/> is its entry. CPython 3.11–3.14 fire them only for frames
/// entered from C, so these are exact calls of some frames, not a call graph.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct PythonCall
{
    /// <summary>The common header.</summary>
    public EventHeader Hdr;

    /// <summary>Entry to return, in ns.</summary>
    public ulong DurNs;

    /// <summary>The line the entry probe gave.</summary>
    public uint Line;

    /// <summary>Calls of the thread still open around this one, as the probes saw them.</summary>
    public ushort Depth;

    /// <summary><see cref="Wire.ExecFilenameTruncated"/> when the file name was cut.</summary>
    public ushort Flags;

    /// <summary>The function's name, NUL-terminated.</summary>
    public Text64 Function;

    /// <summary>The file, NUL-terminated.</summary>
    public Text192 File;
}
