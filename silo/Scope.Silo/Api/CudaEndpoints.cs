using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Scope.Abstractions;
using Scope.Silo.Storage;

namespace Scope.Silo.Api;

/// <summary>
/// A process's CUDA ledger: memory per device, copies, kernels, live allocations and leaks. It lives in
/// the process's grain, which rebuilds it from storage when it activates, so these answer for running
/// and exited processes alike. Addresses are "0x…" strings (64-bit values do not survive JSON numbers
/// in every client); times are ISO 8601.
/// </summary>
internal static class CudaEndpoints
{
    public const int MaxLimit = 1000;
    private const double MaxAgeSeconds = 315_360_000; // ten years

    public sealed record Summary(
        string Process, long Operations, IReadOnlyDictionary<string, long> CallsByApi, IReadOnlyList<DeviceMemory> Devices,
        long HostPinnedBytes, long HostPinnedPeakBytes, IReadOnlyList<Copy> Copies, IReadOnlyList<ErrorCount> Errors,
        int LiveAllocations, long UnknownFrees, long Untracked, int DistinctKernels, long Launches, bool Exited,
        DateTimeOffset? ExitTime, DateTimeOffset? FirstTime, DateTimeOffset? LastTime, bool HistoryComplete);

    public sealed record DeviceMemory(int Device, long CurrentBytes, long PeakBytes, DateTimeOffset? PeakTime, long Allocations, long Frees);

    public sealed record Copy(
        string Direction, long Count, long Bytes, long DurationNs, long SyncCount, long SyncBytes, long SyncDurationNs,
        double? SyncBandwidthBytesPerSecond);

    public sealed record ErrorCount(string Api, int Code, long Count);

    public sealed record Kernel(string Name, string Func, long Launches, long Errors, long TotalCallNs, IReadOnlyList<Shape> Shapes);

    public sealed record Shape(uint[] Grid, uint[] Block, long Count);

    public sealed record Allocation(
        string Ptr, long Bytes, int Device, string Kind, string Api, DateTimeOffset Time, uint Tid, IReadOnlyList<Frame> Stack,
        IReadOnlyList<PythonFrame> PythonStack);

    public sealed record Leak(
        string Ptr, long Bytes, int Device, string Kind, string Api, DateTimeOffset Time, uint Tid, string Reason, long AgeNs,
        IReadOnlyList<Frame> Stack, IReadOnlyList<PythonFrame> PythonStack);

    public sealed record Frame(string Address, string? Symbol, ulong Offset, string? Module, string Text);

    public sealed record PythonFrame(string? Function, string? File, uint Line);

    public static void MapCudaEndpoints(this RouteGroupBuilder api)
    {
        var cuda = api.MapGroup("/processes/{id}/cuda");
        cuda.MapGet("", GetSummary);
        cuda.MapGet("/allocations", GetAllocations);
        cuda.MapGet("/kernels", GetKernels);
        cuda.MapGet("/leaks", GetLeaks);
    }

    private static async Task<Results<Ok<Summary>, NotFound<ProblemDetailsLike>, ValidationProblem>> GetSummary(
        ScopeReadStore store, IGrainFactory grains, string id, CancellationToken ct)
    {
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
            return BadId();
        return await SummaryAsync(store, grains, machine, pid, startNs, ct) is { } s ? TypedResults.Ok(s) : NotFound(id);
    }

    /// <summary>What GET /api/v1/processes/{id}/cuda answers; null for an unknown process (the console uses it too).</summary>
    internal static async Task<Summary?> SummaryAsync(
        ScopeReadStore store, IGrainFactory grains, string machine, uint pid, ulong startNs, CancellationToken ct)
    {
        var key = ProcessKey.Format(machine, pid, startNs);
        if (await grains.GetGrain<IProcessGrain>(key).GetCudaSummary() is { } s)
            return ToApi(key, s);
        // No CUDA records: a known process has an empty ledger, an unknown one is not found.
        if (await store.GetProcessAsync(machine, unchecked((int)pid), startNs, ct) is not { } p)
            return null;
        return new Summary(
            key, 0, new Dictionary<string, long>(), [], 0, 0, [], [], 0, 0, 0, 0, 0, p.ExitTime is not null, p.ExitTime, null, null, true);
    }

    /// <summary>Live allocations, oldest first, each with the call stack that made it.</summary>
    private static async Task<Results<Ok<IReadOnlyList<Allocation>>, NotFound<ProblemDetailsLike>, ValidationProblem>> GetAllocations(
        ScopeReadStore store, IGrainFactory grains, string id, int? limit, CancellationToken ct)
    {
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
            return BadId();
        if (!ApiProblems.TryLimit(limit, MaxLimit, out var n, out var why))
            return ApiProblems.Invalid("limit", why);
        var list = await grains.GetGrain<IProcessGrain>(ProcessKey.Format(machine, pid, startNs)).GetCudaAllocations(n);
        if (list is null && await store.GetProcessAsync(machine, unchecked((int)pid), startNs, ct) is null)
            return NotFound(id);
        IReadOnlyList<Allocation> result = [.. (list ?? []).Select(a =>
            new Allocation(Hex(a.Ptr), a.Bytes, a.Device, a.Kind, a.Api, Time(a.UnixNs), a.Tid, Frames(a.Stack), PythonFrames(a.PythonStack)))];
        return TypedResults.Ok(result);
    }

    /// <summary>Kernels, most launched first, with their grid and block shapes.</summary>
    private static async Task<Results<Ok<IReadOnlyList<Kernel>>, NotFound<ProblemDetailsLike>, ValidationProblem>> GetKernels(
        ScopeReadStore store, IGrainFactory grains, string id, int? limit, CancellationToken ct)
    {
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
            return BadId();
        if (!ApiProblems.TryLimit(limit, MaxLimit, out var n, out var why))
            return ApiProblems.Invalid("limit", why);
        return await KernelsAsync(store, grains, machine, pid, startNs, n, ct) is { } result ? TypedResults.Ok(result) : NotFound(id);
    }

    /// <summary>What GET /api/v1/processes/{id}/cuda/kernels answers (limit already checked); null for an unknown process.</summary>
    internal static async Task<IReadOnlyList<Kernel>?> KernelsAsync(
        ScopeReadStore store, IGrainFactory grains, string machine, uint pid, ulong startNs, int limit, CancellationToken ct)
    {
        var list = await grains.GetGrain<IProcessGrain>(ProcessKey.Format(machine, pid, startNs)).GetCudaKernels(limit);
        if (list is null && await store.GetProcessAsync(machine, unchecked((int)pid), startNs, ct) is null)
            return null;
        return [.. (list ?? []).Select(k => new Kernel(
            k.Name, Hex(k.Func), k.Launches, k.Errors, k.TotalCallNs,
            [.. k.Shapes.Select(s => new Shape([s.GridX, s.GridY, s.GridZ], [s.BlockX, s.BlockY, s.BlockZ], s.Count))]))];
    }

    /// <summary>
    /// Once the process has exited, every allocation it still held ("alive_at_exit"); while it runs,
    /// those older than older_than_s (default Scope:Cuda:LeakAgeSeconds) ("older_than_age"). Largest first.
    /// </summary>
    private static async Task<Results<Ok<IReadOnlyList<Leak>>, NotFound<ProblemDetailsLike>, ValidationProblem>> GetLeaks(
        ScopeReadStore store, IGrainFactory grains, string id, [FromQuery(Name = "older_than_s")] double? olderThanS, CancellationToken ct)
    {
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
            return BadId();
        if (olderThanS is { } age && (!double.IsFinite(age) || age < 0 || age > MaxAgeSeconds))
            return ApiProblems.Invalid("older_than_s", string.Create(CultureInfo.InvariantCulture, $"must be a number of seconds from 0 to {MaxAgeSeconds}"));
        var olderThan = olderThanS is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;
        return await LeaksAsync(store, grains, machine, pid, startNs, olderThan, ct) is { } result ? TypedResults.Ok(result) : NotFound(id);
    }

    /// <summary>What GET /api/v1/processes/{id}/cuda/leaks answers (null age: the configured one); null for an unknown process.</summary>
    internal static async Task<IReadOnlyList<Leak>?> LeaksAsync(
        ScopeReadStore store, IGrainFactory grains, string machine, uint pid, ulong startNs, TimeSpan? olderThan, CancellationToken ct)
    {
        var list = await grains.GetGrain<IProcessGrain>(ProcessKey.Format(machine, pid, startNs)).GetCudaLeaks(olderThan);
        if (list is null && await store.GetProcessAsync(machine, unchecked((int)pid), startNs, ct) is null)
            return null;
        return [.. (list ?? []).Select(l =>
        {
            var a = l.Allocation;
            return new Leak(Hex(a.Ptr), a.Bytes, a.Device, a.Kind, a.Api, Time(a.UnixNs), a.Tid, l.Reason, l.AgeNs, Frames(a.Stack),
                PythonFrames(a.PythonStack));
        })];
    }

    private static Summary ToApi(string id, CudaSnapshot s) => new(
        id, s.Operations, s.CallsByApi,
        [.. s.Devices.Select(d => new DeviceMemory(d.Device, d.CurrentBytes, d.PeakBytes, OptionalTime(d.PeakUnixNs), d.Allocations, d.Frees))],
        s.HostPinnedBytes, s.HostPinnedPeakBytes,
        [.. s.Copies.Select(c => new Copy(c.Direction, c.Count, c.Bytes, c.DurationNs, c.SyncCount, c.SyncBytes, c.SyncDurationNs, c.SyncBandwidthBytesPerSecond))],
        [.. s.Errors.Select(e => new ErrorCount(e.Api, e.Code, e.Count))],
        s.LiveAllocations, s.UnknownFrees, s.Untracked, s.DistinctKernels, s.Launches, s.Exited,
        s.ExitUnixNs is { } exit ? Time(exit) : null, OptionalTime(s.FirstUnixNs), OptionalTime(s.LastUnixNs), s.HistoryComplete);

    private static List<PythonFrame> PythonFrames(IReadOnlyList<CudaPythonFrameInfo> stack) =>
        [.. stack.Select(f => new PythonFrame(f.Function, f.File, f.Line))];

    private static List<Frame> Frames(IReadOnlyList<CudaFrameInfo> stack) =>
        [.. stack.Select(f => new Frame(Hex(f.Address), f.Symbol, f.Offset, f.Module, f.Text))];

    private static string Hex(ulong v) => string.Create(CultureInfo.InvariantCulture, $"0x{v:x}");

    private static DateTimeOffset Time(long unixNs) => DateTimeOffset.UnixEpoch.AddTicks(unixNs / TimeSpan.NanosecondsPerTick);

    // The ledger says 0 for "never" (no record yet, nothing allocated).
    private static DateTimeOffset? OptionalTime(long unixNs) => unixNs == 0 ? null : Time(unixNs);

    private static ValidationProblem BadId() =>
        ApiProblems.Invalid("id", "must be MACHINE.PID.START_NS, as /api/v1/processes returns it");

    private static NotFound<ProblemDetailsLike> NotFound(string id) =>
        TypedResults.NotFound(ProblemDetailsLike.NotFound($"no process {id}"));
}
