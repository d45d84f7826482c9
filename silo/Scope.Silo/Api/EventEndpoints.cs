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

    /// <summary>The filters GET /api/v1/events takes; the console's events page sends the same.</summary>
    internal sealed record Filter(
        string? Machine = null, int? Pid = null, string? Process = null, string? Type = null, DateTimeOffset? From = null,
        DateTimeOffset? To = null, string? Task = null, string? Cursor = null, int? Limit = null);

    /// <summary>A page, or why the filter was refused: an invalid field, or a task that does not exist.</summary>
    internal sealed record Outcome(Page? Page, string? InvalidField = null, string? Problem = null, bool UnknownTask = false);

    /// <summary>The event type names the type filter accepts.</summary>
    internal static IEnumerable<string> Types => TypeNames.Keys;

    private static async Task<Results<Ok<Page>, ValidationProblem, NotFound<ProblemDetailsLike>>> ListEvents(
        ScopeReadStore store, IGrainFactory grains, string? machine, int? pid, string? process, string? type, DateTimeOffset? from, DateTimeOffset? to,
        string? task, string? cursor, int? limit, CancellationToken ct)
    {
        var outcome = await ListAsync(store, grains, new Filter(machine, pid, process, type, from, to, task, cursor, limit), ct);
        if (outcome.UnknownTask)
            return TypedResults.NotFound(ProblemDetailsLike.NotFound(outcome.Problem!));
        if (outcome.InvalidField is { } field)
            return ApiProblems.Invalid(field, outcome.Problem!);
        return TypedResults.Ok(outcome.Page!);
    }

    internal static async Task<Outcome> ListAsync(ScopeReadStore store, IGrainFactory grains, Filter f, CancellationToken ct)
    {
        var (machine, pid, process, type, from, to, task, cursor, limit) = f;
        // A task's events carry its task_id and its labels, looked up once for the page.
        IReadOnlyDictionary<string, string>? labels = null;
        if (task is not null)
        {
            if (!TaskIds.IsValid(task))
                return Invalid("task", "must be a task id (32 lowercase hex digits), as /api/v1/tasks returns it");
            if (await grains.GetGrain<IMonitoringTaskGrain>(task).GetView() is not { } view)
                return new Outcome(null, Problem: $"no task {task}", UnknownTask: true);
            labels = view.Spec.Labels;
        }
        ulong? startNs = null;
        if (process is not null)
        {
            if (!ProcessKey.TryParse(process, out var m, out var p, out var s))
                return Invalid("process", "must be MACHINE.PID.START_NS, as /api/v1/processes returns it");
            if ((machine is not null && machine != m) || (pid is not null && pid != (int)p))
                return Invalid("process", "contradicts machine or pid");
            (machine, pid, startNs) = (m, (int)p, s);
        }
        if (pid is <= 0)
            return Invalid("pid", "must be a positive process id");
        int? typeCode = null;
        if (type is not null)
        {
            if (!TypeNames.TryGetValue(type, out var t))
                return Invalid("type", $"must be one of {string.Join(", ", TypeNames.Keys)}");
            typeCode = t;
        }
        if (!ApiProblems.TryRange(from, to, out var why))
            return Invalid("from", why);
        if (!ApiProblems.TryLimit(limit, ScopeReadStore.MaxLimit, out var n, out why))
            return Invalid("limit", why);
        EventPage page;
        try
        {
            page = await store.ListEventsAsync(new EventQuery(machine, pid, startNs, typeCode, from, to, cursor, n), task, ct);
        }
        catch (FormatException)
        {
            return Invalid("cursor", "is not a cursor this API returned");
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
        return new Outcome(new Page(events, page.NextCursor));
    }

    private static Outcome Invalid(string field, string problem) => new(null, field, problem);

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
