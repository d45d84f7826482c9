using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events.Tests;

/// <summary>The C# mirrors have the sizes scope_events.h asserts and the offsets docs/wire-format.md lists.</summary>
public sealed class LayoutTests
{
    [Fact]
    public void Sizes_match_the_C_static_asserts()
    {
        Assert.Equal(48, Unsafe.SizeOf<EventHeader>());
        Assert.Equal(16, Unsafe.SizeOf<ProcessInfo>());
        Assert.Equal(1360, Unsafe.SizeOf<ProcessExec>());
        Assert.Equal(80, Unsafe.SizeOf<ProcessFork>());
        Assert.Equal(72, Unsafe.SizeOf<ProcessExit>());
        Assert.Equal(120, Unsafe.SizeOf<Syscall>());
        Assert.Equal(384, Unsafe.SizeOf<SyscallData>());
        Assert.Equal(32, Unsafe.SizeOf<SyscallCount>());
        Assert.Equal(1080, Unsafe.SizeOf<SyscallCounts>());
        Assert.Equal(440, Unsafe.SizeOf<SyscallHist>());
        Assert.Equal(144, Unsafe.SizeOf<CudaCall>());
        Assert.Equal(592, Unsafe.SizeOf<CudaRegister>());
        Assert.Equal(312, Unsafe.SizeOf<CudaStack>());
        Assert.Equal(392, Unsafe.SizeOf<Symbol>());
        Assert.Equal(16, Unsafe.SizeOf<PyFrame>());
        Assert.Equal(1336, Unsafe.SizeOf<PythonSample>());
        Assert.Equal(448, Unsafe.SizeOf<PythonCode>());
        Assert.Equal(256, Unsafe.SizeOf<BatchHeader>());
        Assert.Equal(Wire.BatchHeaderSize, Unsafe.SizeOf<BatchHeader>());
        Assert.Equal(Wire.EventHeaderSize, Unsafe.SizeOf<EventHeader>());
    }

    [Fact]
    public void Record_sizes_by_type()
    {
        Assert.Equal(1360, Wire.RecordSize(RecordType.ProcessExec));
        Assert.Equal(80, Wire.RecordSize(RecordType.ProcessFork));
        Assert.Equal(72, Wire.RecordSize(RecordType.ProcessExit));
        Assert.Equal(120, Wire.RecordSize(RecordType.Syscall));
        Assert.Equal(384, Wire.RecordSize(RecordType.SyscallData));
        Assert.Equal(1080, Wire.RecordSize(RecordType.SyscallCounts));
        Assert.Equal(440, Wire.RecordSize(RecordType.SyscallHist));
        Assert.Equal(144, Wire.RecordSize(RecordType.CudaCall));
        Assert.Equal(592, Wire.RecordSize(RecordType.CudaRegister));
        Assert.Equal(312, Wire.RecordSize(RecordType.CudaStack));
        Assert.Equal(392, Wire.RecordSize(RecordType.Symbol));
        Assert.Equal(1336, Wire.RecordSize(RecordType.PythonSample));
        Assert.Equal(448, Wire.RecordSize(RecordType.PythonCode));
        Assert.Equal(320, Wire.RecordSize(RecordType.PythonCall));
        Assert.Equal(320, Unsafe.SizeOf<PythonCall>());
        Assert.Equal(56, (int)Marshal.OffsetOf<PythonCall>(nameof(PythonCall.Line)));
        Assert.Equal(64, (int)Marshal.OffsetOf<PythonCall>(nameof(PythonCall.Function)));
        Assert.Equal(128, (int)Marshal.OffsetOf<PythonCall>(nameof(PythonCall.File)));
        Assert.Equal(0, Wire.RecordSize(0));
        Assert.Equal(0, Wire.RecordSize((RecordType)99));
    }

    [Fact]
    public void Cuda_offsets()
    {
        var c = default(CudaCall);
        Assert.Equal(48, Offset(ref c, ref c.Api));
        Assert.Equal(52, Offset(ref c, ref c.Ret));
        Assert.Equal(56, Offset(ref c, ref c.DurNs));
        Assert.Equal(64, Offset(ref c, ref c.Address));
        Assert.Equal(96, Offset(ref c, ref c.Func));
        Assert.Equal(104, Offset(ref c, ref c.Grid));
        Assert.Equal(116, Offset(ref c, ref c.Block));
        Assert.Equal(128, Offset(ref c, ref c.SharedMem));
        Assert.Equal(132, Offset(ref c, ref c.Kind));
        Assert.Equal(136, Offset(ref c, ref c.Device));
        var r = default(CudaRegister);
        Assert.Equal(56, Offset(ref r, ref r.Handle));
        Assert.Equal(64, Offset(ref r, ref r.HostFun));
        Assert.Equal(72, Offset(ref r, ref r.NameAddr));
        Assert.Equal(80, Offset(ref r, ref r.Name));
        Assert.Equal(336, Offset(ref r, ref r.Kernel));
    }

    [Fact]
    public void Stack_and_symbol_offsets()
    {
        var s = default(CudaStack);
        Assert.Equal(48, Offset(ref s, ref s.Api));
        Assert.Equal(50, Offset(ref s, ref s.N));
        Assert.Equal(52, Offset(ref s, ref s.Flags));
        Assert.Equal(56, Offset(ref s, ref s.Ips));
        Assert.Equal(56 + (31 * 8), Offset(ref s, ref s.Ips[31]));
        Assert.Equal(Wire.StackMax, Ips32.Length);

        var y = default(Symbol);
        Assert.Equal(48, Offset(ref y, ref y.Addr));
        Assert.Equal(56, Offset(ref y, ref y.Offset));
        Assert.Equal(64, Offset(ref y, ref y.NameLen));
        Assert.Equal(66, Offset(ref y, ref y.Flags));
        Assert.Equal(68, Offset(ref y, ref y.Pad0));
        Assert.Equal(72, Offset(ref y, ref y.Module));
        Assert.Equal(136, Offset(ref y, ref y.Name));
    }

    [Fact]
    public void Python_offsets()
    {
        var f = default(PyFrame);
        Assert.Equal(0, Offset(ref f, ref f.Code));
        Assert.Equal(8, Offset(ref f, ref f.Instr));
        Assert.Equal(12, Offset(ref f, ref f.Line));

        var s = default(PythonSample);
        Assert.Equal(48, Offset(ref s, ref s.N));
        Assert.Equal(50, Offset(ref s, ref s.Flags));
        Assert.Equal(52, Offset(ref s, ref s.Version));
        Assert.Equal(54, Offset(ref s, ref s.NNative));
        Assert.Equal(56, Offset(ref s, ref s.Frames));
        Assert.Equal(56 + (63 * 16), Offset(ref s, ref s.Frames[63]));
        Assert.Equal(56 + (63 * 16) + 12, Offset(ref s, ref s.Frames[63].Line));
        Assert.Equal(1080, Offset(ref s, ref s.Native));
        Assert.Equal(1080 + (31 * 8), Offset(ref s, ref s.Native[31]));
        Assert.Equal(Wire.PyMaxFrames, PyFrames64.Length);

        var c = default(PythonCode);
        Assert.Equal(48, Offset(ref c, ref c.Code));
        Assert.Equal(56, Offset(ref c, ref c.FirstLine));
        Assert.Equal(60, Offset(ref c, ref c.Flags));
        Assert.Equal(62, Offset(ref c, ref c.Pad0));
        Assert.Equal(64, Offset(ref c, ref c.Qualname));
        Assert.Equal(192, Offset(ref c, ref c.Filename));
    }

    [Fact]
    public void Every_record_type_has_its_size()
    {
        // The enumerator recognises exactly the types the header defines: none is counted unknown.
        foreach (RecordType t in Enum.GetValues<RecordType>())
        {
            Assert.True(Wire.RecordSize(t) > Wire.EventHeaderSize, $"{t} has no size");
        }

        Assert.Equal(14, Enum.GetValues<RecordType>().Length);
    }

    [Fact]
    public void Header_offsets()
    {
        var h = default(EventHeader);
        Assert.Equal(0, Offset(ref h, ref h.Type));
        Assert.Equal(2, Offset(ref h, ref h.Size));
        Assert.Equal(4, Offset(ref h, ref h.Cpu));
        Assert.Equal(8, Offset(ref h, ref h.TsNs));
        Assert.Equal(16, Offset(ref h, ref h.StartNs));
        Assert.Equal(24, Offset(ref h, ref h.Pid));
        Assert.Equal(28, Offset(ref h, ref h.Tid));
        Assert.Equal(32, Offset(ref h, ref h.Comm));
    }

    [Fact]
    public void Process_record_offsets()
    {
        var e = default(ProcessExec);
        Assert.Equal(48, Offset(ref e, ref e.Info));
        Assert.Equal(48, Offset(ref e, ref e.Info.Ppid));
        Assert.Equal(52, Offset(ref e, ref e.Info.Uid));
        Assert.Equal(56, Offset(ref e, ref e.Info.CgroupId));
        Assert.Equal(64, Offset(ref e, ref e.Argc));
        Assert.Equal(68, Offset(ref e, ref e.FilenameLen));
        Assert.Equal(70, Offset(ref e, ref e.ArgvLen));
        Assert.Equal(72, Offset(ref e, ref e.Flags));
        Assert.Equal(74, Offset(ref e, ref e.Pad0));
        Assert.Equal(76, Offset(ref e, ref e.OldPid));
        Assert.Equal(80, Offset(ref e, ref e.Filename));
        Assert.Equal(336, Offset(ref e, ref e.Argv));

        var f = default(ProcessFork);
        Assert.Equal(48, Offset(ref f, ref f.Info));
        Assert.Equal(64, Offset(ref f, ref f.ChildPid));
        Assert.Equal(68, Offset(ref f, ref f.Pad0));
        Assert.Equal(72, Offset(ref f, ref f.ChildStartNs));

        var x = default(ProcessExit);
        Assert.Equal(48, Offset(ref x, ref x.Info));
        Assert.Equal(64, Offset(ref x, ref x.ExitCode));
        Assert.Equal(68, Offset(ref x, ref x.Signal));
        Assert.Equal(70, Offset(ref x, ref x.Flags));
    }

    [Fact]
    public void Syscall_record_offsets()
    {
        var s = default(Syscall);
        Assert.Equal(48, Offset(ref s, ref s.Nr));
        Assert.Equal(52, Offset(ref s, ref s.Flags));
        Assert.Equal(54, Offset(ref s, ref s.Pad0));
        Assert.Equal(56, Offset(ref s, ref s.Ret));
        Assert.Equal(64, Offset(ref s, ref s.DurNs));
        Assert.Equal(72, Offset(ref s, ref s.Args));
        Assert.Equal(112, Offset(ref s, ref s.Args[5]));

        var d = default(SyscallData);
        Assert.Equal(0, Offset(ref d, ref d.Sc));
        Assert.Equal(120, Offset(ref d, ref d.DataLen));
        Assert.Equal(122, Offset(ref d, ref d.DataKind));
        Assert.Equal(124, Offset(ref d, ref d.Pad0));
        Assert.Equal(128, Offset(ref d, ref d.Data));

        var c = default(SyscallCounts);
        Assert.Equal(48, Offset(ref c, ref c.N));
        Assert.Equal(50, Offset(ref c, ref c.Flags));
        Assert.Equal(52, Offset(ref c, ref c.Pad0));
        Assert.Equal(56, Offset(ref c, ref c.Entries));
        Assert.Equal(56 + (31 * 32), Offset(ref c, ref c.Entries[31]));

        var e = default(SyscallCount);
        Assert.Equal(0, Offset(ref e, ref e.Nr));
        Assert.Equal(4, Offset(ref e, ref e.Pad0));
        Assert.Equal(8, Offset(ref e, ref e.Count));
        Assert.Equal(16, Offset(ref e, ref e.Errors));
        Assert.Equal(24, Offset(ref e, ref e.TotalNs));

        var h = default(SyscallHist);
        Assert.Equal(48, Offset(ref h, ref h.Nr));
        Assert.Equal(52, Offset(ref h, ref h.Flags));
        Assert.Equal(54, Offset(ref h, ref h.Pad0));
        Assert.Equal(56, Offset(ref h, ref h.Buckets));
        Assert.Equal(56 + (95 * 4), Offset(ref h, ref h.Buckets[95]));
    }

    [Fact]
    public void Batch_header_offsets()
    {
        var b = default(BatchHeader);
        Assert.Equal(0, Offset(ref b, ref b.Magic));
        Assert.Equal(4, Offset(ref b, ref b.Version));
        Assert.Equal(6, Offset(ref b, ref b.HeaderSize));
        Assert.Equal(8, Offset(ref b, ref b.Flags));
        Assert.Equal(12, Offset(ref b, ref b.RecordCount));
        Assert.Equal(16, Offset(ref b, ref b.PayloadSize));
        Assert.Equal(20, Offset(ref b, ref b.Pad0));
        Assert.Equal(24, Offset(ref b, ref b.Sequence));
        Assert.Equal(32, Offset(ref b, ref b.Instance));
        Assert.Equal(40, Offset(ref b, ref b.FirstEvent));
        Assert.Equal(48, Offset(ref b, ref b.RealtimeNs));
        Assert.Equal(56, Offset(ref b, ref b.BoottimeNs));
        Assert.Equal(64, Offset(ref b, ref b.KernelDrops));
        Assert.Equal(88, Offset(ref b, ref b.SendDrops));
        Assert.Equal(96, Offset(ref b, ref b.MachineId));
        Assert.Equal(128, Offset(ref b, ref b.CollectorId));
        Assert.Equal(160, Offset(ref b, ref b.TaskId));
        Assert.Equal(192, Offset(ref b, ref b.CollectorVersion));
        Assert.Equal(208, Offset(ref b, ref b.Reserved0));
        Assert.Equal(216, Offset(ref b, ref b.Reserved1));
        Assert.Equal(224, Offset(ref b, ref b.Mac));
        Assert.Equal(Wire.MacOffset, Offset(ref b, ref b.Mac));
    }

    private static int Offset<TStruct, TField>(ref TStruct s, ref TField field) =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<TStruct, byte>(ref s), ref Unsafe.As<TField, byte>(ref field));
}
