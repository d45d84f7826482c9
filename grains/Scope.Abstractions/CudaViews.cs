namespace Scope.Abstractions;

// What a process grain says about the process's CUDA use: the views of Scope.Events.CudaLedger
// (which is plain C#, with no Orleans attributes), mirrored field for field. Times are unix ns.

/// <param name="HistoryComplete">
/// False when the records stored before this grain activated could not be read: the ledger then holds
/// only what arrived since.
/// </param>
[GenerateSerializer, Immutable]
public sealed record CudaSnapshot(
    [property: Id(0)] long Operations,
    [property: Id(1)] IReadOnlyDictionary<string, long> CallsByApi,
    [property: Id(2)] IReadOnlyList<CudaDeviceInfo> Devices,
    [property: Id(3)] long HostPinnedBytes,
    [property: Id(4)] long HostPinnedPeakBytes,
    [property: Id(5)] IReadOnlyList<CudaCopyInfo> Copies,
    [property: Id(6)] IReadOnlyList<CudaErrorInfo> Errors,
    [property: Id(7)] int LiveAllocations,
    [property: Id(8)] long UnknownFrees,
    [property: Id(9)] long Untracked,
    [property: Id(10)] int DistinctKernels,
    [property: Id(11)] long Launches,
    [property: Id(12)] bool Exited,
    [property: Id(13)] long? ExitUnixNs,
    [property: Id(14)] long FirstUnixNs,
    [property: Id(15)] long LastUnixNs,
    [property: Id(16)] bool HistoryComplete);

/// <param name="Device">-1: the calls did not say which device.</param>
[GenerateSerializer, Immutable]
public sealed record CudaDeviceInfo(
    [property: Id(0)] int Device,
    [property: Id(1)] long CurrentBytes,
    [property: Id(2)] long PeakBytes,
    [property: Id(3)] long PeakUnixNs,
    [property: Id(4)] long Allocations,
    [property: Id(5)] long Frees);

[GenerateSerializer, Immutable]
public sealed record CudaCopyInfo(
    [property: Id(0)] string Direction,
    [property: Id(1)] long Count,
    [property: Id(2)] long Bytes,
    [property: Id(3)] long DurationNs,
    [property: Id(4)] long SyncCount,
    [property: Id(5)] long SyncBytes,
    [property: Id(6)] long SyncDurationNs,
    [property: Id(7)] double? SyncBandwidthBytesPerSecond);

[GenerateSerializer, Immutable]
public sealed record CudaErrorInfo(
    [property: Id(0)] string Api,
    [property: Id(1)] int Code,
    [property: Id(2)] long Count);

[GenerateSerializer, Immutable]
public sealed record CudaKernelInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] ulong Func,
    [property: Id(2)] long Launches,
    [property: Id(3)] long Errors,
    [property: Id(4)] long TotalCallNs,
    [property: Id(5)] IReadOnlyList<CudaShapeInfo> Shapes);

[GenerateSerializer, Immutable]
public sealed record CudaShapeInfo(
    [property: Id(0)] uint GridX,
    [property: Id(1)] uint GridY,
    [property: Id(2)] uint GridZ,
    [property: Id(3)] uint BlockX,
    [property: Id(4)] uint BlockY,
    [property: Id(5)] uint BlockZ,
    [property: Id(6)] long Count);

/// <param name="Kind">"device", "managed", "host" (pinned), "vmm_handle" or "vmm_map".</param>
/// <param name="Stack">The allocating call stack, innermost first; empty when none came with the call.</param>
[GenerateSerializer, Immutable]
#pragma warning disable CA1720 // "Ptr" is the wire's and CUDA's word for it
public sealed record CudaAllocationInfo(
    [property: Id(0)] ulong Ptr,
    [property: Id(1)] long Bytes,
    [property: Id(2)] int Device,
    [property: Id(3)] string Kind,
    [property: Id(4)] string Api,
    [property: Id(5)] long UnixNs,
    [property: Id(6)] uint Tid,
    [property: Id(7)] IReadOnlyList<CudaFrameInfo> Stack)
{
    /// <summary>The Python stack of the call, innermost first; empty when it did not come from Python.</summary>
    [Id(8)] public IReadOnlyList<CudaPythonFrameInfo> PythonStack { get; init; } = [];
}
#pragma warning restore CA1720

[GenerateSerializer, Immutable]
public sealed record CudaPythonFrameInfo(
    [property: Id(0)] string? Function,
    [property: Id(1)] string? File,
    [property: Id(2)] uint Line);

/// <param name="Text">"symbol+0x1c (module)", as much of it as is known.</param>
[GenerateSerializer, Immutable]
public sealed record CudaFrameInfo(
    [property: Id(0)] ulong Address,
    [property: Id(1)] string? Symbol,
    [property: Id(2)] ulong Offset,
    [property: Id(3)] string? Module,
    [property: Id(4)] string Text);

/// <param name="Reason">"alive_at_exit" or "older_than_age".</param>
/// <param name="AgeNs">The allocation's age at the exit, or when asked.</param>
[GenerateSerializer, Immutable]
public sealed record CudaLeakInfo(
    [property: Id(0)] CudaAllocationInfo Allocation,
    [property: Id(1)] string Reason,
    [property: Id(2)] long AgeNs);

/// <summary>
/// A periodic sample of one process's CUDA totals, published by its grain on the "cuda-metrics"
/// stream (key: the machine) for storage. Totals are cumulative; <see cref="Final"/> marks the sample
/// taken at the process's exit.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record CudaMetricsSample(
    [property: Id(0)] string MachineId,
    [property: Id(1)] uint Pid,
    [property: Id(2)] ulong StartNs,
    [property: Id(3)] long UnixNs,
    [property: Id(4)] IReadOnlyList<CudaDeviceInfo> Devices,
    [property: Id(5)] long HostPinnedBytes,
    [property: Id(6)] long Operations,
    [property: Id(7)] long Launches,
    [property: Id(8)] long Errors,
    [property: Id(9)] long H2DBytes,
    [property: Id(10)] long D2HBytes,
    [property: Id(11)] long D2DBytes,
    [property: Id(12)] long LiveAllocations,
    [property: Id(13)] bool Final);
