using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Scope.Events;

namespace Scope.Silo.Storage;

/// <summary>
/// The record fields storage needs, as columns. The layouts are Scope.Events' (one definition of the
/// wire for C#, checked against the golden vectors); this only picks fields and turns them into
/// what PostgreSQL stores (text without NUL, integers reinterpreted as signed).
/// </summary>
internal static class WireRecords
{
    public const int HeaderSize = Wire.EventHeaderSize;

    public const ushort Exec = (ushort)RecordType.ProcessExec;
    public const ushort Fork = (ushort)RecordType.ProcessFork;
    public const ushort Exit = (ushort)RecordType.ProcessExit;
    public const ushort Syscall = (ushort)RecordType.Syscall;
    public const ushort SyscallData = (ushort)RecordType.SyscallData;
    public const ushort SyscallCounts = (ushort)RecordType.SyscallCounts;
    public const ushort SyscallHist = (ushort)RecordType.SyscallHist;
    public const ushort CudaCall = (ushort)RecordType.CudaCall;
    public const ushort CudaRegister = (ushort)RecordType.CudaRegister;
    public const ushort CudaStack = (ushort)RecordType.CudaStack;
    public const ushort Symbol = (ushort)RecordType.Symbol;
    public const ushort PythonSample = (ushort)RecordType.PythonSample;
    public const ushort PythonCode = (ushort)RecordType.PythonCode;
    public const ushort PythonCall = (ushort)RecordType.PythonCall;

    public static readonly int ExecSize = Wire.RecordSize(RecordType.ProcessExec);
    public static readonly int ForkSize = Wire.RecordSize(RecordType.ProcessFork);
    public static readonly int ExitSize = Wire.RecordSize(RecordType.ProcessExit);
    public static readonly int SyscallSize = Wire.RecordSize(RecordType.Syscall);
    public static readonly int CountsSize = Wire.RecordSize(RecordType.SyscallCounts);
    public static readonly int HistSize = Wire.RecordSize(RecordType.SyscallHist);
    public static readonly int CudaCallSize = Wire.RecordSize(RecordType.CudaCall);

    public const int CountsPerRecord = Wire.CountsPerRecord;
    public const int HistBuckets = Histogram.Buckets;
    public const ushort FinalFlag = Wire.CountsFinal;

    private static ref readonly T As<T>(ReadOnlySpan<byte> r) where T : unmanaged => ref MemoryMarshal.AsRef<T>(r[..Unsafe.SizeOf<T>()]);

    private static ref readonly EventHeader Header(ReadOnlySpan<byte> r) => ref As<EventHeader>(r);

    // Header.
    public static ushort Type(ReadOnlySpan<byte> r) => (ushort)Header(r).Type;
    public static ushort Size(ReadOnlySpan<byte> r) => Header(r).Size;
    public static ulong TsNs(ReadOnlySpan<byte> r) => Header(r).TsNs;
    public static ulong StartNs(ReadOnlySpan<byte> r) => Header(r).StartNs;
    public static uint Pid(ReadOnlySpan<byte> r) => Header(r).Pid;
    public static uint Tid(ReadOnlySpan<byte> r) => Header(r).Tid;
    public static string Comm(ReadOnlySpan<byte> r) => CString(Header(r).Comm.AsSpan());

    // scope_process_info sits at the same place in exec, fork (the parent's) and exit.
    public static uint Ppid(ReadOnlySpan<byte> r) => As<ProcessExit>(r).Info.Ppid;
    public static uint Uid(ReadOnlySpan<byte> r) => As<ProcessExit>(r).Info.Uid;
    public static ulong CgroupId(ReadOnlySpan<byte> r) => As<ProcessExit>(r).Info.CgroupId;

    // process_exec.
    public static string ExecFilename(ReadOnlySpan<byte> r)
    {
        ref readonly var e = ref As<ProcessExec>(r);
        return CString(e.Filename.AsSpan()[..Math.Min((int)e.FilenameLen, Text256.Length)]);
    }

    public static string[] ExecArgv(ReadOnlySpan<byte> r)
    {
        ref readonly var e = ref As<ProcessExec>(r);
        var bytes = e.Argv.AsSpan()[..Math.Min((int)e.ArgvLen, Bytes1024.Length)];
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
    public static uint ForkChildPid(ReadOnlySpan<byte> r) => As<ProcessFork>(r).ChildPid;
    public static ulong ForkChildStartNs(ReadOnlySpan<byte> r) => As<ProcessFork>(r).ChildStartNs;

    // process_exit.
    public static int ExitCode(ReadOnlySpan<byte> r) => As<ProcessExit>(r).ExitCode;
    public static ushort ExitSignal(ReadOnlySpan<byte> r) => As<ProcessExit>(r).Signal;

    // syscall (and the syscall that starts syscall_data).
    public static uint SyscallNr(ReadOnlySpan<byte> r) => As<Scope.Events.Syscall>(r).Nr;
    public static long SyscallRet(ReadOnlySpan<byte> r) => As<Scope.Events.Syscall>(r).Ret;
    public static ulong SyscallDurNs(ReadOnlySpan<byte> r) => As<Scope.Events.Syscall>(r).DurNs;

    // cuda_call.
    public static ushort CudaApi(ReadOnlySpan<byte> r) => As<Scope.Events.CudaCall>(r).Api;
    public static int CudaRet(ReadOnlySpan<byte> r) => As<Scope.Events.CudaCall>(r).Ret;
    public static ulong CudaDurNs(ReadOnlySpan<byte> r) => As<Scope.Events.CudaCall>(r).DurNs;

    // syscall_counts.
    public static int CountsN(ReadOnlySpan<byte> r) => As<Scope.Events.SyscallCounts>(r).Valid.Length;
    public static ushort CountsFlags(ReadOnlySpan<byte> r) => As<Scope.Events.SyscallCounts>(r).Flags;

    public static (uint Nr, ulong Count, ulong Errors, ulong TotalNs) CountEntry(ReadOnlySpan<byte> r, int i)
    {
        var e = As<Scope.Events.SyscallCounts>(r).Entries.AsSpan()[i];
        return (e.Nr, e.Count, e.Errors, e.TotalNs);
    }

    // syscall_hist.
    public static uint HistNr(ReadOnlySpan<byte> r) => As<Scope.Events.SyscallHist>(r).Nr;
    public static ushort HistFlags(ReadOnlySpan<byte> r) => As<Scope.Events.SyscallHist>(r).Flags;

    /// <summary>The buckets as stored: u32 reinterpreted as integer[] elements.</summary>
    public static void HistBucketsInto(ReadOnlySpan<byte> r, Span<int> into) =>
        MemoryMarshal.Cast<uint, int>(As<Scope.Events.SyscallHist>(r).Buckets.AsSpan()).CopyTo(into);

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
