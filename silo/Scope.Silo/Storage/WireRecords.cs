using System.Buffers.Binary;
using System.Text;

namespace Scope.Silo.Storage;

/// <summary>
/// The few record fields storage needs, read at their fixed offsets (bpf/scope_events.h). Kept here
/// rather than taken from Scope.Events so storage depends on nothing but the wire layout itself.
/// </summary>
internal static class WireRecords
{
    public const int HeaderSize = 48;

    public const ushort Exec = 1;
    public const ushort Fork = 2;
    public const ushort Exit = 3;
    public const ushort Syscall = 4;
    public const ushort SyscallData = 5;
    public const ushort SyscallCounts = 6;
    public const ushort SyscallHist = 7;

    public const int ExecSize = 1360;
    public const int ForkSize = 80;
    public const int ExitSize = 72;
    public const int SyscallSize = 120;
    public const int CountsSize = 1080;
    public const int HistSize = 440;

    public const int CountsPerRecord = 32;
    public const int HistBuckets = 96;
    public const ushort FinalFlag = 0x1;

    // Header.
    public static ushort Type(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt16LittleEndian(r);
    public static ushort Size(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt16LittleEndian(r[2..]);
    public static ulong TsNs(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt64LittleEndian(r[8..]);
    public static ulong StartNs(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt64LittleEndian(r[16..]);
    public static uint Pid(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt32LittleEndian(r[24..]);
    public static uint Tid(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt32LittleEndian(r[28..]);
    public static string Comm(ReadOnlySpan<byte> r) => CString(r.Slice(32, 16));

    // scope_process_info, in exec, fork (the parent's) and exit.
    public static uint Ppid(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt32LittleEndian(r[48..]);
    public static uint Uid(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt32LittleEndian(r[52..]);
    public static ulong CgroupId(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt64LittleEndian(r[56..]);

    // process_exec.
    public static string ExecFilename(ReadOnlySpan<byte> r)
    {
        int len = Math.Min((int)BinaryPrimitives.ReadUInt16LittleEndian(r[68..]), 256);
        return CString(r.Slice(80, len));
    }

    public static string[] ExecArgv(ReadOnlySpan<byte> r)
    {
        int len = Math.Min((int)BinaryPrimitives.ReadUInt16LittleEndian(r[70..]), 1024);
        var bytes = r.Slice(336, len);
        // NUL-separated, normally NUL-terminated: a trailing NUL ends the last argument, it does not start one.
        if (!bytes.IsEmpty && bytes[^1] == 0)
            bytes = bytes[..^1];
        if (bytes.IsEmpty)
            return [];
        var args = new List<string>();
        foreach (var range in bytes.Split((byte)0))
            args.Add(Encoding.UTF8.GetString(bytes[range]));
        return [.. args];
    }

    // process_fork.
    public static uint ForkChildPid(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt32LittleEndian(r[64..]);
    public static ulong ForkChildStartNs(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt64LittleEndian(r[72..]);

    // process_exit.
    public static int ExitCode(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadInt32LittleEndian(r[64..]);
    public static ushort ExitSignal(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt16LittleEndian(r[68..]);

    // syscall (and the syscall that starts syscall_data).
    public static uint SyscallNr(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt32LittleEndian(r[48..]);
    public static long SyscallRet(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadInt64LittleEndian(r[56..]);
    public static ulong SyscallDurNs(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt64LittleEndian(r[64..]);

    // syscall_counts.
    public static int CountsN(ReadOnlySpan<byte> r) => Math.Min((int)BinaryPrimitives.ReadUInt16LittleEndian(r[48..]), CountsPerRecord);
    public static ushort CountsFlags(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt16LittleEndian(r[50..]);

    public static (uint Nr, ulong Count, ulong Errors, ulong TotalNs) CountEntry(ReadOnlySpan<byte> r, int i)
    {
        var e = r.Slice(56 + (32 * i), 32);
        return (BinaryPrimitives.ReadUInt32LittleEndian(e),
                BinaryPrimitives.ReadUInt64LittleEndian(e[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(e[24..]));
    }

    // syscall_hist.
    public static uint HistNr(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt32LittleEndian(r[48..]);
    public static ushort HistFlags(ReadOnlySpan<byte> r) => BinaryPrimitives.ReadUInt16LittleEndian(r[52..]);

    /// <summary>The buckets as stored: u32 reinterpreted as integer[] elements.</summary>
    public static void HistBucketsInto(ReadOnlySpan<byte> r, Span<int> into)
    {
        for (int i = 0; i < HistBuckets; i++)
            into[i] = BinaryPrimitives.ReadInt32LittleEndian(r[(56 + (4 * i))..]);
    }

    /// <summary>NUL-padded bytes as text. PostgreSQL text cannot hold NUL, so this stops at the first.</summary>
    public static string CString(ReadOnlySpan<byte> bytes)
    {
        int nul = bytes.IndexOf((byte)0);
        if (nul >= 0)
            bytes = bytes[..nul];
        return Encoding.UTF8.GetString(bytes);
    }

    /// <summary>A text value PostgreSQL accepts (no NUL), for strings that did not come through <see cref="CString"/>.</summary>
    public static string Clean(string s) => s.Contains('\0', StringComparison.Ordinal) ? s.Replace("\0", "", StringComparison.Ordinal) : s;

    /// <summary>
    /// Walks the records of a payload. Stops at the first record whose size is impossible: the payload
    /// was authenticated, so that is a collector bug, and nothing after it can be framed.
    /// </summary>
    public static int Frame(ReadOnlySpan<byte> payload, List<RecordRef> into)
    {
        int offset = 0, index = 0;
        while (payload.Length - offset >= HeaderSize)
        {
            var r = payload[offset..];
            int size = Size(r);
            if (size < HeaderSize || size > r.Length)
                break;
            into.Add(new RecordRef(offset, size, Type(r), index));
            offset += size;
            index++;
        }
        return offset;
    }
}

/// <summary>Where one record lies in its batch's payload, and its position among the batch's records.</summary>
internal readonly record struct RecordRef(int Offset, int Size, ushort Type, int Index);
