using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>struct scope_process_exec</c>, 1360 bytes: a process called execve.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct ProcessExec
{
    /// <summary>The record header.</summary>
    public EventHeader Hdr;

    /// <summary>Who the process is.</summary>
    public ProcessInfo Info;

    /// <summary>The full argument count, even when <see cref="Argv"/> was truncated.</summary>
    public uint Argc;

    /// <summary>Valid bytes in <see cref="Filename"/>.</summary>
    public ushort FilenameLen;

    /// <summary>Valid bytes in <see cref="Argv"/>.</summary>
    public ushort ArgvLen;

    /// <summary><see cref="Wire.ExecFilenameTruncated"/>, <see cref="Wire.ExecArgvTruncated"/>.</summary>
    public ushort Flags;

    /// <summary>Padding, zero.</summary>
    public ushort Pad0;

    /// <summary>The thread that called execve when it was not the leader, else 0.</summary>
    public uint OldPid;

    /// <summary>The executed file.</summary>
    public Text256 Filename;

    /// <summary><see cref="ArgvLen"/> bytes of NUL-separated arguments, as the process sees them.</summary>
    public Bytes1024 Argv;

    /// <summary>The filename was cut at 255 bytes.</summary>
    public readonly bool FilenameTruncated => (Flags & Wire.ExecFilenameTruncated) != 0;

    /// <summary>There were more arguments than <see cref="Argv"/> holds.</summary>
    public readonly bool ArgvTruncated => (Flags & Wire.ExecArgvTruncated) != 0;

    /// <summary>The arguments, split at their NULs (the last one may be cut, see <see cref="ArgvTruncated"/>).</summary>
    public readonly string[] Arguments()
    {
        var area = Argv.AsSpan()[..Math.Min((int)ArgvLen, Bytes1024.Length)];
        var args = new List<string>();
        while (!area.IsEmpty)
        {
            int end = area.IndexOf((byte)0);
            args.Add(System.Text.Encoding.UTF8.GetString(end < 0 ? area : area[..end]));
            area = end < 0 ? [] : area[(end + 1)..];
        }

        return [.. args];
    }
}
