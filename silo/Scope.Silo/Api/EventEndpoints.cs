using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Scope.Abstractions;
using Scope.Events;
using Scope.Silo.Storage;

namespace Scope.Silo.Api;

internal static class EventEndpoints
{
    /// <summary>A page of stored events, each the collector's JSON object plus where and when it was recorded.</summary>
    public sealed record Page(IReadOnlyList<JsonObject> Events, string? NextCursor);

    private static readonly Dictionary<string, int> TypeNames = new(StringComparer.Ordinal)
    {
        ["process_exec"] = (int)RecordType.ProcessExec,
        ["process_fork"] = (int)RecordType.ProcessFork,
        ["process_exit"] = (int)RecordType.ProcessExit,
        ["syscall"] = (int)RecordType.Syscall,
        ["syscall_data"] = (int)RecordType.SyscallData,
        ["cuda"] = (int)RecordType.CudaCall,
        ["cuda_register"] = (int)RecordType.CudaRegister,
        ["cuda_stack"] = (int)RecordType.CudaStack,
        ["symbol"] = (int)RecordType.Symbol,
        ["python_sample"] = (int)RecordType.PythonSample,
        ["python_code"] = (int)RecordType.PythonCode,
        ["python_call"] = (int)RecordType.PythonCall,
    };

    public static void MapEventEndpoints(this RouteGroupBuilder api) =>
        api.MapGet("/events", ListEvents);

    private static async Task<Results<Ok<Page>, ValidationProblem, NotFound<ProblemDetailsLike>>> ListEvents(
        ScopeReadStore store, IGrainFactory grains, string? machine, int? pid, string? process, string? type, DateTimeOffset? from, DateTimeOffset? to,
        string? task, string? cursor, int? limit, CancellationToken ct)
    {
        // A task's events carry its task_id and its labels, looked up once for the page.
        IReadOnlyDictionary<string, string>? labels = null;
        if (task is not null)
        {
            if (!TaskIds.IsValid(task))
                return ApiProblems.Invalid("task", "must be a task id (32 lowercase hex digits), as /api/v1/tasks returns it");
            if (await grains.GetGrain<IMonitoringTaskGrain>(task).GetView() is not { } view)
                return TypedResults.NotFound(ProblemDetailsLike.NotFound($"no task {task}"));
            labels = view.Spec.Labels;
        }
        ulong? startNs = null;
        if (process is not null)
        {
            if (!ProcessKey.TryParse(process, out var m, out var p, out var s))
                return ApiProblems.Invalid("process", "must be MACHINE.PID.START_NS, as /api/v1/processes returns it");
            if ((machine is not null && machine != m) || (pid is not null && pid != (int)p))
                return ApiProblems.Invalid("process", "contradicts machine or pid");
            (machine, pid, startNs) = (m, (int)p, s);
        }
        if (pid is <= 0)
            return ApiProblems.Invalid("pid", "must be a positive process id");
        int? typeCode = null;
        if (type is not null)
        {
            if (!TypeNames.TryGetValue(type, out var t))
                return ApiProblems.Invalid("type", $"must be one of {string.Join(", ", TypeNames.Keys)}");
            typeCode = t;
        }
        if (!ApiProblems.TryRange(from, to, out var why))
            return ApiProblems.Invalid("from", why);
        if (!ApiProblems.TryLimit(limit, ScopeReadStore.MaxLimit, out var n, out why))
            return ApiProblems.Invalid("limit", why);
        EventPage page;
        try
        {
            page = await store.ListEventsAsync(new EventQuery(machine, pid, startNs, typeCode, from, to, cursor, n), task, ct);
        }
        catch (FormatException)
        {
            return ApiProblems.Invalid("cursor", "is not a cursor this API returned");
        }
        var events = new List<JsonObject>(page.Rows.Count);
        foreach (var row in page.Rows)
        {
            var e = Render(row);
            if (task is not null)
            {
                e["task_id"] = task;
                var l = new JsonObject();
                foreach (var (k, v) in labels!)
                    l[k] = v;
                e["labels"] = l;
            }
            events.Add(e);
        }
        return TypedResults.Ok(new Page(events, page.NextCursor));
    }

    private static JsonObject Render(EventRow row)
    {
        var records = BatchReader.EnumerateRecords(row.Record.Span);
        var obj = records.MoveNext()
            ? JsonNode.Parse(EventJson.ToJson(records.Current))!.AsObject()
            : new JsonObject { ["type"] = "unreadable" };
        obj["machine_id"] = row.MachineId;
        obj["collector_id"] = row.CollectorId;
        obj["time"] = row.Time.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        obj["process"] = ProcessKey.Format(row.MachineId, (uint)row.Pid, row.StartNs);
        return obj;
    }
}
