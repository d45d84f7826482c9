namespace Scope.Events;

// The mutable state behind a CudaLedger. Views (CudaLedgerViews.cs) are built from it on request, so
// applying a record allocates only when something new must be remembered.

internal enum CudaAllocationKind : byte
{
    Device,
    Managed,
    Host,
    VmmHandle,
    VmmMap,
}

internal sealed class CudaLiveAllocation(ulong ptr, long bytes, int device, CudaAllocationKind kind, ushort api, long unixNs, uint tid, ulong[] stack, long seq)
{
    public ulong Ptr { get; } = ptr;

    public long Bytes { get; } = bytes;

    public int Device { get; } = device;

    public CudaAllocationKind Kind { get; } = kind;

    public ushort Api { get; } = api;

    public long UnixNs { get; } = unixNs;

    public uint Tid { get; } = tid;

    /// <summary>Return addresses, innermost first; resolved to names only when asked for.</summary>
    public ulong[] Stack { get; } = stack;

    /// <summary>The Python frames (code object, line), innermost first, when the call came from Python.</summary>
    public CudaPendingPython.Frame[] Python { get; set; } = [];

    /// <summary>Arrival order: breaks ties between allocations with the same time.</summary>
    public long Seq { get; } = seq;
}

internal sealed class CudaDeviceState
{
    public long Current { get; set; }

    public long Peak { get; set; }

    public long PeakUnixNs { get; set; }

    public long Allocations { get; set; }

    public long Frees { get; set; }

    public CudaDeviceMemory ToView(int device) => new(device, Current, Peak, PeakUnixNs, Allocations, Frees);
}

internal sealed class CudaCopyState
{
    public long Count { get; set; }

    public long Bytes { get; set; }

    public long DurationNs { get; set; }

    public long SyncCount { get; set; }

    public long SyncBytes { get; set; }

    public long SyncDurationNs { get; set; }
}

internal readonly record struct CudaShapeKey(uint GridX, uint GridY, uint GridZ, uint BlockX, uint BlockY, uint BlockZ);

internal sealed class CudaKernelState
{
    public long Launches { get; set; }

    public long Errors { get; set; }

    public long TotalCallNs { get; set; }

    public Dictionary<CudaShapeKey, long> Shapes { get; } = [];
}

internal readonly record struct CudaSymbolName(string? Name, ulong Offset, string? Module);

internal readonly record struct CudaPendingStack(ulong TsNs, ulong[] Ips);

/// <summary>The Python stack the CUDA probes took at a call, waiting for that call (same tid and ts).</summary>
internal readonly record struct CudaPendingPython(ulong TsNs, CudaPendingPython.Frame[] Frames)
{
    internal readonly record struct Frame(ulong Code, uint Line);
}
