using System.Globalization;

namespace Scope.Events;

/// <summary>What a <see cref="CudaLedger"/> knows about one process, at the time it was asked.</summary>
/// <param name="Operations">CUDA call records applied.</param>
/// <param name="CallsByApi">Calls by API base name (variants such as _ptsz folded in).</param>
/// <param name="Devices">Memory per device, by device number; -1 is memory on a device not known.</param>
/// <param name="HostPinnedBytes">Pinned host memory (cudaMallocHost) live now.</param>
/// <param name="HostPinnedPeakBytes">The most pinned host memory live at once.</param>
/// <param name="Copies">Successful copies by direction (H2H, H2D, D2H, D2D, Default, Unknown).</param>
/// <param name="Errors">Calls that returned an error, by API base name and code.</param>
/// <param name="LiveAllocations">Allocations, VMM handles and mappings tracked and not freed.</param>
/// <param name="UnknownFrees">Successful frees of a pointer (or handle, or mapping) the ledger does not hold.</param>
/// <param name="Untracked">Allocations not tracked because <see cref="CudaLedgerOptions.MaxLiveAllocations"/> was reached.</param>
/// <param name="DistinctKernels">Kernels launched, by name (or by address where unnamed).</param>
/// <param name="Launches">Kernel launches, failed ones included.</param>
/// <param name="Exited">The process has exited.</param>
/// <param name="ExitUnixNs">When it exited (unix ns), or null.</param>
/// <param name="FirstUnixNs">The earliest record applied (unix ns); 0 before any.</param>
/// <param name="LastUnixNs">The latest record applied (unix ns); 0 before any.</param>
public sealed record CudaSummary(
    long Operations,
    IReadOnlyDictionary<string, long> CallsByApi,
    IReadOnlyList<CudaDeviceMemory> Devices,
    long HostPinnedBytes,
    long HostPinnedPeakBytes,
    IReadOnlyList<CudaCopyStat> Copies,
    IReadOnlyList<CudaErrorStat> Errors,
    int LiveAllocations,
    long UnknownFrees,
    long Untracked,
    int DistinctKernels,
    long Launches,
    bool Exited,
    long? ExitUnixNs,
    long FirstUnixNs,
    long LastUnixNs);

/// <summary>Device memory held by one process on one device (VMM mappings are not counted twice: their handles are).</summary>
/// <param name="Device">The device number; -1 when the call did not say.</param>
/// <param name="CurrentBytes">Bytes live now.</param>
/// <param name="PeakBytes">The most bytes live at once.</param>
/// <param name="PeakUnixNs">When the peak was first reached (unix ns); 0 when nothing was allocated.</param>
/// <param name="Allocations">Successful allocations (cudaMalloc*, cuMemAlloc, cuMemCreate).</param>
/// <param name="Frees">Successful frees of allocations the ledger held.</param>
public sealed record CudaDeviceMemory(int Device, long CurrentBytes, long PeakBytes, long PeakUnixNs, long Allocations, long Frees);

/// <summary>Successful copies in one direction.</summary>
/// <param name="Direction">H2H, H2D, D2H, D2D, Default, or Unknown for a kind outside cudaMemcpyKind.</param>
/// <param name="Count">Copies, synchronous and asynchronous.</param>
/// <param name="Bytes">Bytes copied.</param>
/// <param name="DurationNs">Time spent in the calls (for an asynchronous copy, only the enqueueing).</param>
/// <param name="SyncCount">Synchronous copies (cudaMemcpy, cuMemcpy*_v2 without Async).</param>
/// <param name="SyncBytes">Bytes of synchronous copies.</param>
/// <param name="SyncDurationNs">Time in synchronous copies.</param>
/// <param name="SyncBandwidthBytesPerSecond">SyncBytes over SyncDurationNs, in bytes/s; null when no time was measured.</param>
public sealed record CudaCopyStat(
    string Direction,
    long Count,
    long Bytes,
    long DurationNs,
    long SyncCount,
    long SyncBytes,
    long SyncDurationNs,
    double? SyncBandwidthBytesPerSecond);

/// <summary>Failed calls of one API with one code.</summary>
/// <param name="Api">The API base name.</param>
/// <param name="Code">The cudaError_t or CUresult.</param>
/// <param name="Count">How many.</param>
public sealed record CudaErrorStat(string Api, int Code, long Count);

/// <summary>Launches of one kernel.</summary>
/// <param name="Name">The demangled name, or "0x…" (the launch's function) while none is known.</param>
/// <param name="Func">The function launches passed (the one launched most, when several share the name).</param>
/// <param name="Launches">Launch calls, failed ones included.</param>
/// <param name="Errors">Launch calls that failed.</param>
/// <param name="TotalCallNs">Time spent in the launch calls (the enqueueing, not the kernel's run).</param>
/// <param name="Shapes">Grid and block shapes launched, most used first.</param>
public sealed record CudaKernelStat(string Name, ulong Func, long Launches, long Errors, long TotalCallNs, IReadOnlyList<CudaLaunchShape> Shapes);

/// <summary>A grid and block shape and how many launches used it.</summary>
public sealed record CudaLaunchShape(uint GridX, uint GridY, uint GridZ, uint BlockX, uint BlockY, uint BlockZ, long Count);

/// <summary>One live allocation.</summary>
/// <param name="Ptr">The address; for a VMM handle, the handle.</param>
/// <param name="Bytes">Its size.</param>
/// <param name="Device">The device; -1 when not known.</param>
/// <param name="Kind">"device", "managed", "host" (pinned), "vmm_handle" (cuMemCreate) or "vmm_map" (cuMemMap).</param>
/// <param name="Api">The allocating API's base name.</param>
/// <param name="UnixNs">When it was allocated (unix ns).</param>
/// <param name="Tid">The allocating thread.</param>
/// <param name="Stack">The allocating call stack, innermost first; empty when none came with the call.</param>
#pragma warning disable CA1720 // "Ptr" is the wire's and the CUDA API's word for it
public sealed record CudaAllocation(ulong Ptr, long Bytes, int Device, string Kind, string Api, long UnixNs, uint Tid, IReadOnlyList<CudaFrame> Stack)
{
    /// <summary>The Python stack of the call, innermost first, when it came from Python (empty otherwise).</summary>
    public IReadOnlyList<CudaPythonFrame> PythonStack { get; init; } = [];
}

/// <summary>One Python frame: its function and file as the collector's python_code record named them (null when none came), and the line executing.</summary>
public sealed record CudaPythonFrame(string? Function, string? File, uint Line);
#pragma warning restore CA1720

/// <summary>One stack frame: a return address, named by the collector's symbol record when one came.</summary>
/// <param name="Address">The return address.</param>
/// <param name="Symbol">The function it returns into; null when not known.</param>
/// <param name="Offset">Address minus the symbol's start; without a symbol, the offset into the module's file (0 when no record came).</param>
/// <param name="Module">The mapped file's base name; null when not known.</param>
public sealed record CudaFrame(ulong Address, string? Symbol, ulong Offset, string? Module)
{
    /// <summary>"sym+0x1c (module)", "0x7f… (module)", or "0x7f…", as much as is known.</summary>
    public override string ToString()
    {
        string head = Symbol is null
            ? string.Create(CultureInfo.InvariantCulture, $"0x{Address:x}")
            : string.Create(CultureInfo.InvariantCulture, $"{Symbol}+0x{Offset:x}");
        return Module is null ? head : $"{head} ({Module})";
    }
}

/// <summary>A live allocation reported as a leak.</summary>
/// <param name="Allocation">The allocation.</param>
/// <param name="Reason">"alive_at_exit" (the process exited holding it) or "older_than_age".</param>
/// <param name="AgeNs">Its age at the exit, or at the time asked.</param>
public sealed record CudaLeak(CudaAllocation Allocation, string Reason, long AgeNs);

/// <summary>A flat sample of a <see cref="CudaLedger"/>, for periodic persistence; totals are cumulative.</summary>
/// <param name="UnixNs">When it was taken.</param>
/// <param name="Devices">Memory per device.</param>
/// <param name="HostPinnedBytes">Pinned host memory live.</param>
/// <param name="Operations">CUDA calls so far.</param>
/// <param name="Launches">Kernel launches so far.</param>
/// <param name="Errors">Failed calls so far.</param>
/// <param name="H2DBytes">Bytes copied host to device so far.</param>
/// <param name="D2HBytes">Bytes copied device to host so far.</param>
/// <param name="D2DBytes">Bytes copied device to device so far.</param>
/// <param name="LiveAllocations">Allocations, VMM handles and mappings tracked and live.</param>
public sealed record CudaMetrics(
    long UnixNs,
    IReadOnlyList<CudaDeviceMemory> Devices,
    long HostPinnedBytes,
    long Operations,
    long Launches,
    long Errors,
    long H2DBytes,
    long D2HBytes,
    long D2DBytes,
    long LiveAllocations);
