using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_cuda_register</c> (592 bytes): a module or kernel registration. <see cref="Kernel"/>
/// is the name demangled, filled in by the collector, so readers need no demangler.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct CudaRegister
{
    /// <summary>The common header.</summary>
    public EventHeader Hdr;

    /// <summary>
    /// <see cref="Wire.CudaRegFatBinary"/>, <see cref="Wire.CudaRegFunction"/>, <see cref="Wire.CudaRegSymbol"/>,
    /// <see cref="Wire.CudaRegKernelHandle"/>, or the driver's <see cref="Wire.CudaRegModuleFunction"/>,
    /// <see cref="Wire.CudaRegLibraryKernel"/> and <see cref="Wire.CudaRegKernelFunction"/>.
    /// </summary>
    public ushort Kind;

    /// <summary>Bytes of <see cref="Name"/> in use.</summary>
    public ushort NameLen;

    /// <summary><see cref="Wire.ExecFilenameTruncated"/> when the name was cut.</summary>
    public uint Flags;

    /// <summary>The fat binary handle; for kernel handles and driver registrations, what launches pass as their function.</summary>
    public ulong Handle;

    /// <summary>The host stub a launch passes as its function; for driver registrations, the module, library or kernel looked in.</summary>
    public ulong HostFun;

    /// <summary>Where the name lay in the process (the collector reads it from there when needed).</summary>
    public ulong NameAddr;

    /// <summary>The device function's name as registered (mangled).</summary>
    public Text256 Name;

    /// <summary>The same name demangled (NUL-terminated; empty when the collector had none).</summary>
    public Text256 Kernel;
}
