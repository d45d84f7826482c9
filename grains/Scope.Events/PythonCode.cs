using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_python_code</c> (448 bytes): what one code object of a process is, sent by the
/// collector (never the kernel) before the first <see cref="PythonSample"/> that holds it. Readers name
/// frames with it because the process may be gone by the time they look.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct PythonCode
{
    /// <summary>The common header.</summary>
    public EventHeader Hdr;

    /// <summary>The <c>PyCodeObject</c>'s address in the process: <see cref="PyFrame.Code"/> refers to it.</summary>
    public ulong Code;

    /// <summary><c>co_firstlineno</c>: the line of the <c>def</c>.</summary>
    public uint FirstLine;

    /// <summary><see cref="Wire.PyCodeUnreadable"/>, <see cref="Wire.SymbolTruncated"/>.</summary>
    public ushort Flags;

    /// <summary>Padding, zero.</summary>
    public ushort Pad0;

    /// <summary><c>co_qualname</c>, NUL-terminated; empty when unreadable.</summary>
    public Text128 Qualname;

    /// <summary><c>co_filename</c>, NUL-terminated; empty when unreadable.</summary>
    public Text256 Filename;

    /// <summary>The process was gone or the object unreadable: the names are empty.</summary>
    public readonly bool Unreadable => (Flags & Wire.PyCodeUnreadable) != 0;

    /// <summary>A name was cut.</summary>
    public readonly bool NameTruncated => (Flags & Wire.SymbolTruncated) != 0;
}
