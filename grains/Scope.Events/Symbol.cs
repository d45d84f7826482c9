using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_symbol</c> (392 bytes): the collector's name for one user-space address of one
/// process, sent before the first stack that holds it. Readers name frames with it because the
/// process's memory map may be gone by the time they look.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct Symbol
{
    /// <summary>The common header.</summary>
    public EventHeader Hdr;

    /// <summary>The address named.</summary>
    public ulong Addr;

    /// <summary>Addr minus the symbol's start; with <see cref="Wire.SymbolUnknown"/>, the offset into the module's file.</summary>
    public ulong Offset;

    /// <summary>Bytes of <see cref="Name"/> in use.</summary>
    public ushort NameLen;

    /// <summary><see cref="Wire.SymbolUnknown"/>, <see cref="Wire.SymbolTruncated"/>.</summary>
    public ushort Flags;

    /// <summary>Padding, zero.</summary>
    public uint Pad0;

    /// <summary>The mapped file's base name, NUL-terminated; empty when none.</summary>
    public Text64 Module;

    /// <summary>The symbol's name, demangled, NUL-terminated; empty when unknown.</summary>
    public Text256 Name;

    /// <summary>No symbol covers the address: <see cref="Name"/> is empty.</summary>
    public readonly bool Unknown => (Flags & Wire.SymbolUnknown) != 0;

    /// <summary>The name was cut.</summary>
    public readonly bool NameTruncated => (Flags & Wire.SymbolTruncated) != 0;
}
