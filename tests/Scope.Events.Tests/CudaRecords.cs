using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Scope.Events.Tests;

/// <summary>Builds CUDA-related records as wire bytes, through the wire structs, for ledger tests.</summary>
internal static class CudaRecords
{
    public const uint Pid = 42;

    public static byte[] Call(
        CudaApi api,
        ulong ts,
        uint tid = 1,
        int ret = 0,
        ulong ptr = 0,
        ulong bytes = 0,
        ulong src = 0,
        int kind = -1,
        int device = 0,
        ulong dur = 0,
        ulong func = 0,
        ulong stream = 0,
        ushort flags = 0,
        (uint X, uint Y, uint Z) grid = default,
        (uint X, uint Y, uint Z) block = default)
    {
        var c = default(CudaCall);
        c.Hdr = Header(RecordType.CudaCall, ts, tid);
        c.Api = (ushort)api;
        c.Flags = flags;
        c.Ret = ret;
        c.DurNs = dur;
        c.Address = ptr;
        c.Src = src;
        c.Bytes = bytes;
        c.Stream = stream;
        c.Func = func;
        (c.Grid[0], c.Grid[1], c.Grid[2]) = grid;
        (c.Block[0], c.Block[1], c.Block[2]) = block;
        c.Kind = kind;
        c.Device = device;
        return Bytes(c);
    }

    public static byte[] Register(ushort kind, ulong handle, ulong hostFun, string name, string kernel = "", ulong ts = 1)
    {
        var r = default(CudaRegister);
        r.Hdr = Header(RecordType.CudaRegister, ts, Pid);
        r.Kind = kind;
        r.NameLen = (ushort)Encoding.UTF8.GetByteCount(name);
        r.Handle = handle;
        r.HostFun = hostFun;
        Encoding.UTF8.GetBytes(name).CopyTo((Span<byte>)r.Name);
        Encoding.UTF8.GetBytes(kernel).CopyTo((Span<byte>)r.Kernel);
        return Bytes(r);
    }

    public static byte[] Stack(CudaApi api, ulong ts, uint tid, params ulong[] ips)
    {
        var s = default(CudaStack);
        s.Hdr = Header(RecordType.CudaStack, ts, tid);
        s.Api = (ushort)api;
        s.N = (ushort)ips.Length;
        ips.CopyTo((Span<ulong>)s.Ips);
        return Bytes(s);
    }

    public static byte[] Symbol(ulong addr, ulong offset, string module, string name, ushort flags = 0)
    {
        var s = default(Symbol);
        s.Hdr = Header(RecordType.Symbol, 1, Pid);
        s.Addr = addr;
        s.Offset = offset;
        s.NameLen = (ushort)Encoding.UTF8.GetByteCount(name);
        s.Flags = flags;
        Encoding.UTF8.GetBytes(module).CopyTo((Span<byte>)s.Module);
        Encoding.UTF8.GetBytes(name).CopyTo((Span<byte>)s.Name);
        return Bytes(s);
    }

    /// <summary>A Python stack the CUDA probes took at a call: (code, line) innermost first.</summary>
    public static byte[] PythonAtCuda(ulong ts, uint tid, params (ulong Code, uint Line)[] frames)
    {
        var s = default(PythonSample);
        s.Hdr = Header(RecordType.PythonSample, ts, tid);
        s.N = (ushort)frames.Length;
        s.Flags = Wire.PyAtCuda;
        s.Version = 0x030B;
        for (int i = 0; i < frames.Length; i++)
            s.Frames[i] = new PyFrame { Code = frames[i].Code, Instr = 0, Line = frames[i].Line };
        return Bytes(s);
    }

    /// <summary>A CPU-time sample: (code, line) innermost first, with the given flags.</summary>
    public static byte[] PythonSampled(ushort flags, params (ulong Code, uint Line)[] frames)
    {
        var s = default(PythonSample);
        s.Hdr = Header(RecordType.PythonSample, 1, Pid);
        s.N = (ushort)frames.Length;
        s.Flags = flags;
        s.Version = 0x030B;
        for (int i = 0; i < frames.Length; i++)
            s.Frames[i] = new PyFrame { Code = frames[i].Code, Instr = 0, Line = frames[i].Line };
        return Bytes(s);
    }

    /// <summary>An exact call the USDT probes reported.</summary>
    public static byte[] PythonCallRecord(string function, string file, ulong durNs, uint line = 1, ushort depth = 0)
    {
        var c = default(PythonCall);
        c.Hdr = Header(RecordType.PythonCall, 1, Pid);
        c.DurNs = durNs;
        c.Line = line;
        c.Depth = depth;
        Encoding.UTF8.GetBytes(function).CopyTo((Span<byte>)c.Function);
        Encoding.UTF8.GetBytes(file).CopyTo((Span<byte>)c.File);
        return Bytes(c);
    }

    public static byte[] PythonCodeName(ulong code, string function, string file)
    {
        var c = default(PythonCode);
        c.Hdr = Header(RecordType.PythonCode, 1, Pid);
        c.Code = code;
        Encoding.UTF8.GetBytes(function).CopyTo((Span<byte>)c.Qualname);
        Encoding.UTF8.GetBytes(file).CopyTo((Span<byte>)c.Filename);
        return Bytes(c);
    }

    public static byte[] Exit(ulong ts)
    {
        var e = default(ProcessExit);
        e.Hdr = Header(RecordType.ProcessExit, ts, Pid);
        return Bytes(e);
    }

    private static EventHeader Header(RecordType type, ulong ts, uint tid)
    {
        var h = default(EventHeader);
        h.Type = type;
        h.Size = (ushort)Wire.RecordSize(type);
        h.TsNs = ts;
        h.StartNs = 1500;
        h.Pid = Pid;
        h.Tid = tid;
        "train"u8.CopyTo(h.Comm);
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
