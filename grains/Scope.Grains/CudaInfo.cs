using Scope.Abstractions;
using Scope.Events;

namespace Scope.Grains;

/// <summary>The ledger's views as the grain messages that mirror them (Scope.Events carries no Orleans attributes).</summary>
internal static class CudaInfo
{
    public static CudaSnapshot Of(CudaSummary s, bool historyComplete) => new(
        s.Operations,
        new Dictionary<string, long>(s.CallsByApi, StringComparer.Ordinal),
        [.. s.Devices.Select(Of)],
        s.HostPinnedBytes,
        s.HostPinnedPeakBytes,
        [.. s.Copies.Select(c => new CudaCopyInfo(c.Direction, c.Count, c.Bytes, c.DurationNs, c.SyncCount, c.SyncBytes, c.SyncDurationNs, c.SyncBandwidthBytesPerSecond))],
        [.. s.Errors.Select(e => new CudaErrorInfo(e.Api, e.Code, e.Count))],
        s.LiveAllocations,
        s.UnknownFrees,
        s.Untracked,
        s.DistinctKernels,
        s.Launches,
        s.Exited,
        s.ExitUnixNs,
        s.FirstUnixNs,
        s.LastUnixNs,
        historyComplete);

    public static CudaDeviceInfo Of(CudaDeviceMemory d) => new(d.Device, d.CurrentBytes, d.PeakBytes, d.PeakUnixNs, d.Allocations, d.Frees);

    public static CudaKernelInfo Of(CudaKernelStat k) => new(
        k.Name, k.Func, k.Launches, k.Errors, k.TotalCallNs,
        [.. k.Shapes.Select(s => new CudaShapeInfo(s.GridX, s.GridY, s.GridZ, s.BlockX, s.BlockY, s.BlockZ, s.Count))]);

    public static CudaAllocationInfo Of(CudaAllocation a) => new(
        a.Ptr, a.Bytes, a.Device, a.Kind, a.Api, a.UnixNs, a.Tid,
        [.. a.Stack.Select(f => new CudaFrameInfo(f.Address, f.Symbol, f.Offset, f.Module, f.ToString()))])
    {
        PythonStack = [.. a.PythonStack.Select(f => new CudaPythonFrameInfo(f.Function, f.File, f.Line))],
    };

    public static CudaLeakInfo Of(CudaLeak l) => new(Of(l.Allocation), l.Reason, l.AgeNs);
}
