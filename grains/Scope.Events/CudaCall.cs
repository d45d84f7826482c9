using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>struct scope_cuda_call</c> (144 bytes): one CUDA runtime or driver call with its return code and duration.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct CudaCall
{
    /// <summary>The common header.</summary>
    public EventHeader Hdr;

    /// <summary>A <see cref="CudaApi"/>.</summary>
    public ushort Api;

    /// <summary><see cref="Wire.CudaPtsz"/>, <see cref="Wire.CudaPtds"/>, <see cref="Wire.CudaHasStack"/>.</summary>
    public ushort Flags;

    /// <summary>The cudaError_t (or, for a driver call, CUresult) returned.</summary>
    public int Ret;

    /// <summary>Entry to return, in ns.</summary>
    public ulong DurNs;

    /// <summary>The pointer allocated or freed; a copy's destination; cuMemCreate's and cuMemRelease's handle (the C field `ptr`).</summary>
    public ulong Address;

    /// <summary>A copy's source; the handle cuMemMap maps.</summary>
    public ulong Src;

    /// <summary>Allocation or copy size.</summary>
    public ulong Bytes;

    /// <summary>The stream, where the call takes one; cuMemMap's offset into its handle.</summary>
    public ulong Stream;

    /// <summary>A launch's host stub (names the kernel); a graph launch's executable graph.</summary>
    public ulong Func;

    /// <summary>The launch grid.</summary>
    public Dim3 Grid;

    /// <summary>The launch block.</summary>
    public Dim3 Block;

    /// <summary>Dynamic shared memory of a launch.</summary>
    public uint SharedMem;

    /// <summary>A cudaMemcpyKind, or -1.</summary>
    public int Kind;

    /// <summary>The device, or -1 when not known.</summary>
    public int Device;

    /// <summary>Padding, zero.</summary>
    public uint Pad0;
}
