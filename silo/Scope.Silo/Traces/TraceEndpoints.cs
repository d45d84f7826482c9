using Microsoft.AspNetCore.Http.HttpResults;
using Scope.Abstractions;
using Scope.Silo.Api;
using Scope.Silo.Storage;
using Scope.Timeline;

namespace Scope.Silo.Traces;

/// <summary>
/// GET /api/v1/traces: a process's rolling Perfetto file as the trace subscriber keeps it, or a trace
/// built from stored events for any range of a process or a machine, streamed as it is built.
/// </summary>
internal static class TraceEndpoints
{
    /// <summary>The most stored records one trace is built from; past it the trace ends there.</summary>
    public const int MaxRecords = 5_000_000;

    /// <summary>The longest range a whole machine's trace may span.</summary>
    public static readonly TimeSpan MaxMachineRange = TimeSpan.FromHours(1);

    // Chunks small enough that a response never holds much of the trace in memory.
    private static readonly TimelineOptions Streaming = new() { MaxBufferedEvents = 50_000 };

    public static void MapTraceEndpoints(this RouteGroupBuilder api) => api.MapGet("/traces", GetTrace);

    private static async Task<Results<PushStreamHttpResult, NotFound<ProblemDetailsLike>, ValidationProblem>> GetTrace(
        HttpContext http, ScopeReadStore store, TraceFiles files,
        string? process, string? machine, DateTimeOffset? from, DateTimeOffset? to, string? format, CancellationToken ct)
    {
        if (format is not (null or "perfetto" or "json"))
            return ApiProblems.Invalid("format", "must be perfetto or json");
        bool json = format == "json";
        if (!ApiProblems.TryRange(from, to, out var why))
            return ApiProblems.Invalid("from", why);

        int? pid = null;
        ulong? startNs = null;
        string name;
        if (process is not null)
        {
            if (!ProcessKey.TryParse(process, out var m, out var p, out var s))
                return ApiProblems.Invalid("process", "must be MACHINE.PID.START_NS, as /api/v1/processes returns it");
            if (machine is not null && machine != m)
                return ApiProblems.Invalid("machine", "is not the process's machine");
            if (await store.GetProcessAsync(m, unchecked((int)p), s, ct) is null)
                return TypedResults.NotFound(ProblemDetailsLike.NotFound($"no process {process}"));
            (machine, pid, startNs, name) = (m, unchecked((int)p), s, process);
        }
        else if (machine is null)
        {
            return ApiProblems.Invalid("process", "give a process, or a machine with from and to");
        }
        else if (from is not { } f || to is not { } t)
        {
            return ApiProblems.Invalid("from", "a machine's trace needs from and to");
        }
        else if (t - f > MaxMachineRange)
        {
            return ApiProblems.Invalid("to", $"a machine's trace spans at most {MaxMachineRange.TotalMinutes:0} minutes");
        }
        else
        {
            name = machine;
        }

        var fileName = $"scope-{name}.{(json ? "json" : "pftrace")}";
        if (process is not null && from is null && to is null && !json && files.Servable(process) is > 0 and var servable)
        {
            var path = files.PathOf(process);
            http.Response.ContentLength = servable;
            return TypedResults.Stream(async body =>
            {
                // Up to the end of the last whole chunk: the file may be growing.
                await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, useAsync: true);
                var buffer = new byte[1 << 16];
                long left = servable;
                while (left > 0)
                {
                    int n = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct);
                    if (n == 0)
                        break;
                    await body.WriteAsync(buffer.AsMemory(0, n), ct);
                    left -= n;
                }
            }, "application/octet-stream", fileName);
        }

        return TypedResults.Stream(async body =>
        {
            // The writers write synchronously: each chunk goes to memory, then out asynchronously.
            using var chunk = new MemoryStream();
            using ITraceWriter writer = json ? new JsonTraceWriter(chunk, leaveOpen: true) : new PerfettoTraceWriter(chunk, leaveOpen: true);
            var builder = new TimelineBuilder(Streaming);
            async Task Drain()
            {
                chunk.Position = 0;
                await chunk.CopyToAsync(body, ct);
                chunk.SetLength(0);
            }
            await foreach (var record in store.ReadTraceRecordsAsync(machine, pid, startNs, from, to, MaxRecords, new ReadCap(), ct))
            {
                builder.Add(record);
                if (builder.ShouldFlush)
                {
                    builder.Flush(writer);
                    await Drain();
                }
            }
            builder.Complete(writer);
            await Drain();
        }, json ? "application/json" : "application/octet-stream", fileName);
    }
}
