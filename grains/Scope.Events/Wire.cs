using System.Runtime.CompilerServices;

namespace Scope.Events;

/// <summary>Constants of the wire contract (bpf/scope_events.h, docs/wire-format.md).</summary>
public static class Wire
{
    /// <summary><c>SCOPE_WIRE_VERSION</c>: any layout change bumps it.</summary>
    public const ushort Version = 1;

    /// <summary><c>SCOPE_BATCH_MAGIC</c>, "SCB1" read as a little-endian u32.</summary>
    public const uint BatchMagic = 0x31424353;

    /// <summary>Size of <see cref="BatchHeader"/>, which precedes every batch payload.</summary>
    public const int BatchHeaderSize = 256;

    /// <summary>Size of <see cref="EventHeader"/>, which starts every record.</summary>
    public const int EventHeaderSize = 48;

    /// <summary>Offset of <see cref="BatchHeader.Mac"/> in a frame.</summary>
    public const int MacOffset = 224;

    /// <summary>Length of the HMAC-SHA256 in <see cref="BatchHeader.Mac"/>.</summary>
    public const int MacLength = 32;

    /// <summary><c>SCOPE_COUNTS_PER_RECORD</c>: entries in one <see cref="SyscallCounts"/> record.</summary>
    public const int CountsPerRecord = 32;

    /// <summary><c>SCOPE_SYSCALL_MAX</c>: syscall numbers at or above this are neither counted nor named.</summary>
    public const int SyscallMax = 512;

    /// <summary><see cref="ProcessExec.Flags"/>: the filename was cut at 255 bytes.</summary>
    public const ushort ExecFilenameTruncated = 0x1;

    /// <summary><see cref="ProcessExec.Flags"/>: the arguments did not fit in 1024 bytes.</summary>
    public const ushort ExecArgvTruncated = 0x2;

    /// <summary><see cref="ProcessExit.Flags"/>: the process dumped core.</summary>
    public const ushort ExitCoreDumped = 0x1;

    /// <summary><see cref="Syscall.Flags"/>: the captured data was cut.</summary>
    public const ushort SyscallDataTruncated = 0x1;

    /// <summary><see cref="Syscall.Flags"/>: exit/exit_group, recorded at entry; ret and dur_ns are 0.</summary>
    public const ushort SyscallNoReturn = 0x2;

    /// <summary><see cref="SyscallCounts.Flags"/>, <see cref="SyscallHist.Flags"/>: the process has exited, the totals are final.</summary>
    public const ushort CountsFinal = 0x1;

    /// <summary><see cref="SyscallCounts.Flags"/>: counted at entry only, so no errors and no latency.</summary>
    public const ushort CountsEnterOnly = 0x2;

    /// <summary><see cref="BatchHeader.Flags"/>: the collector is stopping; no batch follows.</summary>
    public const uint BatchFinal = 0x1;

    /// <summary>A CUDA call made through its per-thread-default-stream variant (_ptsz).</summary>
    public const ushort CudaPtsz = 0x1;

    /// <summary>A CUDA call made through its _ptds variant.</summary>
    public const ushort CudaPtds = 0x2;

    /// <summary><see cref="CudaCall.Flags"/>: a <see cref="CudaStack"/> record with this call's tid and ts_ns came before it.</summary>
    public const ushort CudaHasStack = 0x4;

    /// <summary>A fat binary (module) registration.</summary>
    public const ushort CudaRegFatBinary = 1;

    /// <summary>A kernel registration.</summary>
    public const ushort CudaRegFunction = 2;

    /// <summary>Not a registration: the collector named a stub from ELF symbols.</summary>
    public const ushort CudaRegSymbol = 3;

    /// <summary>A kernel handle (<c>cudaKernel_t</c>) that launches pass instead of the stub it stands for.</summary>
    public const ushort CudaRegKernelHandle = 4;

    /// <summary>cuModuleGetFunction: handle is the CUfunction launches pass, host_fun the CUmodule.</summary>
    public const ushort CudaRegModuleFunction = 5;

    /// <summary>cuLibraryGetKernel: handle is the CUkernel launches pass, host_fun the CUlibrary.</summary>
    public const ushort CudaRegLibraryKernel = 6;

    /// <summary>cuKernelGetFunction: handle is the CUfunction, host_fun the CUkernel it came from; name empty.</summary>
    public const ushort CudaRegKernelFunction = 7;

    /// <summary><see cref="CudaRegister.Flags"/>: a mangled name no demangler here can read; the kernel field holds it as is.</summary>
    public const uint CudaRegNotDemangled = 0x2;

    /// <summary><c>SCOPE_STACK_MAX</c>: return addresses in one <see cref="CudaStack"/>.</summary>
    public const int StackMax = 32;

    /// <summary><see cref="CudaStack.Flags"/>: the stack was deeper than <see cref="StackMax"/>.</summary>
    public const uint StackTruncated = 0x1;

    /// <summary><see cref="Symbol.Flags"/>: no symbol covers the address; the offset is into the module's file.</summary>
    public const ushort SymbolUnknown = 0x1;

    /// <summary><see cref="Symbol.Flags"/>, <see cref="PythonCode.Flags"/>: a name was cut.</summary>
    public const ushort SymbolTruncated = 0x2;

    /// <summary><c>SCOPE_PY_MAX_FRAMES</c>: Python frames in one <see cref="PythonSample"/>.</summary>
    public const int PyMaxFrames = 64;

    /// <summary><see cref="PythonSample.Flags"/>: the Python stack was deeper than <see cref="PyMaxFrames"/>.</summary>
    public const ushort PyTruncated = 0x1;

    /// <summary><see cref="PythonSample.Flags"/>: the thread had no Python thread state; no frames.</summary>
    public const ushort PyNoThreadState = 0x2;

    /// <summary><see cref="PythonSample.Flags"/>: not a sample but the Python stack of the CUDA call with the same tid and ts_ns, which follows it.</summary>
    public const ushort PyAtCuda = 0x4;

    /// <summary><see cref="PythonCode.Flags"/>: the process was gone or the object unreadable; the names are empty.</summary>
    public const ushort PyCodeUnreadable = 0x1;

    /// <summary><see cref="SyscallData.DataKind"/>: nothing captured.</summary>
    public const ushort DataNone = 0;

    /// <summary><see cref="SyscallData.DataKind"/>: a NUL-terminated path.</summary>
    public const ushort DataPath = 1;

    /// <summary><see cref="SyscallData.DataKind"/>: a struct sockaddr as the process passed or received it.</summary>
    public const ushort DataSockaddr = 2;

    /// <summary>The one size a record of type <paramref name="type"/> has, or 0 for a type this version does not know.</summary>
    public static int RecordSize(RecordType type) => type switch
    {
        RecordType.ProcessExec => Unsafe.SizeOf<ProcessExec>(),
        RecordType.ProcessFork => Unsafe.SizeOf<ProcessFork>(),
        RecordType.ProcessExit => Unsafe.SizeOf<ProcessExit>(),
        RecordType.Syscall => Unsafe.SizeOf<Syscall>(),
        RecordType.SyscallData => Unsafe.SizeOf<SyscallData>(),
        RecordType.SyscallCounts => Unsafe.SizeOf<SyscallCounts>(),
        RecordType.SyscallHist => Unsafe.SizeOf<SyscallHist>(),
        RecordType.CudaCall => Unsafe.SizeOf<CudaCall>(),
        RecordType.CudaRegister => Unsafe.SizeOf<CudaRegister>(),
        RecordType.CudaStack => Unsafe.SizeOf<CudaStack>(),
        RecordType.Symbol => Unsafe.SizeOf<Symbol>(),
        RecordType.PythonSample => Unsafe.SizeOf<PythonSample>(),
        RecordType.PythonCall => Unsafe.SizeOf<PythonCall>(),
        RecordType.PythonCode => Unsafe.SizeOf<PythonCode>(),
        _ => 0,
    };
}
