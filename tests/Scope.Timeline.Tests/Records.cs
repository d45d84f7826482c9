using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Scope.Events;

namespace Scope.Timeline.Tests;

/// <summary>Builds wire records through the wire structs, for one process at a time.</summary>
internal sealed class Records(uint pid, ulong startNs = 1_000, string comm = "python3")
{
    public uint Pid { get; } = pid;

    public byte[] Exec(ulong ts, string filename, params string[] argv)
    {
        var e = default(ProcessExec);
        e.Hdr = Header(RecordType.ProcessExec, ts, Pid);
        e.Argc = (uint)argv.Length;
        byte[] args = Encoding.UTF8.GetBytes(string.Concat(argv.Select(a => a + "\0")));
        e.ArgvLen = (ushort)args.Length;
        args.CopyTo((Span<byte>)e.Argv);
        e.FilenameLen = (ushort)Encoding.UTF8.GetByteCount(filename);
        Encoding.UTF8.GetBytes(filename).CopyTo((Span<byte>)e.Filename);
        return Bytes(e);
    }

    public byte[] Exit(ulong ts, int code = 0, ushort signal = 0)
    {
        var x = default(ProcessExit);
        x.Hdr = Header(RecordType.ProcessExit, ts, Pid);
        x.ExitCode = code;
        x.Signal = signal;
        return Bytes(x);
    }

    public byte[] Syscall(uint tid, ulong ts, ulong dur, uint nr, long ret = 0)
    {
        var s = default(Syscall);
        s.Hdr = Header(RecordType.Syscall, ts, tid);
        s.Nr = nr;
        s.Ret = ret;
        s.DurNs = dur;
        return Bytes(s);
    }

    public byte[] SyscallPath(uint tid, ulong ts, ulong dur, uint nr, string path, long ret = 0)
    {
        var d = default(SyscallData);
        d.Sc.Hdr = Header(RecordType.SyscallData, ts, tid);
        d.Sc.Nr = nr;
        d.Sc.Ret = ret;
        d.Sc.DurNs = dur;
        d.DataKind = Wire.DataPath;
        byte[] text = Encoding.UTF8.GetBytes(path + "\0");
        d.DataLen = (ushort)text.Length;
        text.CopyTo((Span<byte>)d.Data);
        return Bytes(d);
    }

    public byte[] Cuda(
        uint tid,
        CudaApi api,
        ulong ts,
        ulong dur,
        int ret = 0,
        ulong ptr = 0,
        ulong bytes = 0,
        ulong func = 0,
        ulong stream = 0,
        int device = 0,
        int kind = -1,
        ushort flags = 0)
    {
        var c = default(CudaCall);
        c.Hdr = Header(RecordType.CudaCall, ts, tid);
        c.Api = (ushort)api;
        c.Flags = flags;
        c.Ret = ret;
        c.DurNs = dur;
        c.Address = ptr;
        c.Bytes = bytes;
        c.Func = func;
        c.Stream = stream;
        c.Kind = kind;
        c.Device = device;
        (c.Grid[0], c.Grid[1], c.Grid[2]) = (4u, 1u, 1u);
        (c.Block[0], c.Block[1], c.Block[2]) = (256u, 1u, 1u);
        return Bytes(c);
    }

    public byte[] Register(ushort kind, ulong handle, ulong hostFun, string name, string kernel)
    {
        var r = default(CudaRegister);
        r.Hdr = Header(RecordType.CudaRegister, 1, Pid);
        r.Kind = kind;
        r.NameLen = (ushort)Encoding.UTF8.GetByteCount(name);
        r.Handle = handle;
        r.HostFun = hostFun;
        Encoding.UTF8.GetBytes(name).CopyTo((Span<byte>)r.Name);
        Encoding.UTF8.GetBytes(kernel).CopyTo((Span<byte>)r.Kernel);
        return Bytes(r);
    }

    public byte[] Code(ulong code, string qualname, string file)
    {
        var c = default(PythonCode);
        c.Hdr = Header(RecordType.PythonCode, 1, Pid);
        c.Code = code;
        Encoding.UTF8.GetBytes(qualname).CopyTo((Span<byte>)c.Qualname);
        Encoding.UTF8.GetBytes(file).CopyTo((Span<byte>)c.Filename);
        return Bytes(c);
    }

    /// <summary>A CPU sample of <paramref name="tid"/>: code objects innermost first.</summary>
    public byte[] Sample(uint tid, ulong ts, params ulong[] innermostFirst) => Stack(tid, ts, 0, innermostFirst);

    /// <summary>The Python stack taken at the CUDA call with the same tid and ts.</summary>
    public byte[] AtCuda(uint tid, ulong ts, params ulong[] innermostFirst) => Stack(tid, ts, Wire.PyAtCuda, innermostFirst);

    public byte[] Stack(uint tid, ulong ts, ushort flags, params ulong[] innermostFirst)
    {
        var s = default(PythonSample);
        s.Hdr = Header(RecordType.PythonSample, ts, tid);
        s.N = (ushort)innermostFirst.Length;
        s.Flags = flags;
        s.Version = 0x030B;
        for (int i = 0; i < innermostFirst.Length; i++)
            s.Frames[i] = new PyFrame { Code = innermostFirst[i], Instr = 0, Line = 10 + (uint)i };
        return Bytes(s);
    }

    public byte[] Call(uint tid, ulong ts, ulong dur, string function, string file, ushort depth = 0)
    {
        var c = default(PythonCall);
        c.Hdr = Header(RecordType.PythonCall, ts, tid);
        c.DurNs = dur;
        c.Line = 7;
        c.Depth = depth;
        Encoding.UTF8.GetBytes(function).CopyTo((Span<byte>)c.Function);
        Encoding.UTF8.GetBytes(file).CopyTo((Span<byte>)c.File);
        return Bytes(c);
    }

    private EventHeader Header(RecordType type, ulong ts, uint tid)
    {
        var h = default(EventHeader);
        h.Type = type;
        h.Size = (ushort)Wire.RecordSize(type);
        h.TsNs = ts;
        h.StartNs = startNs;
        h.Pid = Pid;
        h.Tid = tid;
        Encoding.UTF8.GetBytes(tid == Pid ? comm : comm + "-" + tid).CopyTo((Span<byte>)h.Comm);
        return h;
    }

    private static byte[] Bytes<T>(T value)
        where T : unmanaged
    {
        byte[] b = new byte[Unsafe.SizeOf<T>()];
        MemoryMarshal.Write(b, in value);
        return b;
    }
}
