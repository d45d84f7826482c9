using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_syscall_data</c>, 384 bytes: a syscall with one captured argument (a path or an address).
/// It starts with a whole <see cref="Syscall"/>, so <c>record.As&lt;Syscall&gt;()</c> reads either type.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct SyscallData
{
    /// <summary>The syscall.</summary>
    public Syscall Sc;

    /// <summary>Valid bytes in <see cref="Data"/>.</summary>
    public ushort DataLen;

    /// <summary><see cref="Wire.DataNone"/>, <see cref="Wire.DataPath"/> or <see cref="Wire.DataSockaddr"/>.</summary>
    public ushort DataKind;

    /// <summary>Padding, zero.</summary>
    public uint Pad0;

    /// <summary>The captured bytes: a NUL-terminated path or a struct sockaddr.</summary>
    public Bytes256 Data;

    /// <summary>The valid part of <see cref="Data"/>, without copying.</summary>
    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public readonly ReadOnlySpan<byte> DataSpan => Data.AsSpan()[..Math.Min((int)DataLen, Bytes256.Length)];
}
