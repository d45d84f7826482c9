using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Scope.Abstractions;
using Scope.Silo.Collectors;
using Scope.Silo.Storage;

namespace Scope.Silo.Api;

/// <summary>Monitoring tasks: create, list, read, stop (docs/tasks.md).</summary>
internal static class TaskEndpoints
{
    public sealed record TaskBody(
        string Id, string MachineId, string State, string Reason, IReadOnlyList<string> Probes, Targets Targets, Options Options,
        IReadOnlyDictionary<string, string> Labels, Collector Collector, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
        IReadOnlyList<Transition> Transitions, Restarts Restarts);

    public sealed record Targets(IReadOnlyList<int> Pids, IReadOnlyList<string> Comm, IReadOnlyList<string> ExecPath);

    public sealed record Options(int? PythonHz, IReadOnlyList<string>? SyscallEvents, bool CountsOnly, bool FollowChildren);

    public sealed record Collector(string Id, int? Pid);

    public sealed record Transition(string State, DateTimeOffset At, string Reason);

    public sealed record Restarts(int Count, int? LastExitCode, int? LastSignal, string LastReason, DateTimeOffset? LastAt);

    private const int MaxListLimit = 1000;

    public static void MapTaskEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/tasks", CreateTask).RequireAuthorization(Auth.ScopePolicies.Operator);
        api.MapGet("/tasks", ListTasks);
        api.MapGet("/tasks/{id}", GetTask);
        api.MapPost("/tasks/{id}/stop", StopTask).RequireAuthorization(Auth.ScopePolicies.Operator);
    }

    /// <summary>
    /// 201 with the task once its collector is started (or the task failed to start it: the task says
    /// why). 400 naming each bad field, 422 for a machine with no host agent; nothing starts then.
    /// </summary>
    private static async Task<Results<Created<TaskBody>, ValidationProblem, UnprocessableEntity<ProblemDetailsLike>>> CreateTask(
        HttpRequest request, ScopeReadStore store, IGrainFactory grains, CancellationToken ct)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(request.Body, default, ct);
        }
        catch (JsonException e)
        {
            return ApiProblems.Invalid("body", "is not JSON: " + e.Message);
        }
        TaskCreation created;
        using (doc)
            created = await CreateAsync(doc.RootElement, store, grains, ct);
        if (created.Unavailable is not null)
            return Unprocessable(created.Unavailable);
        if (created.View is null)
            return Problem(created.Errors);
        return TypedResults.Created($"/api/v1/tasks/{created.View.Id}", ToBody(created.View));
    }

    /// <summary>What <see cref="CreateAsync"/> did: the task, or the fields refused, or why the machine cannot take it.</summary>
    internal sealed record TaskCreation(TaskView? View, Dictionary<string, List<string>> Errors, string? Unavailable);

    /// <summary>
    /// Parses, validates and creates a task from a POST /api/v1/tasks body: the one path for the REST
    /// API and the console. Nothing starts unless every check passes.
    /// </summary>
    internal static async Task<TaskCreation> CreateAsync(JsonElement body, ScopeReadStore store, IGrainFactory grains, CancellationToken ct)
    {
        var (spec, errors) = TaskRequest.Parse(body);
        // What needs no machine is checked here; what does (pids) by the machine's own agent below.
        if (spec is not null)
        {
            foreach (var e in CollectorCommand.ValidateTask(spec, _ => true))
                Add(errors, e.Field, e.Message);
        }
        if (errors.Count > 0 || spec is null)
            return new TaskCreation(null, errors, null);

        if (!await store.MachineExistsAsync(spec.MachineId, ct))
            return new TaskCreation(null, errors, $"machine_id: no machine '{spec.MachineId}' has registered (see /api/v1/machines)");
        var agent = grains.GetGrain<IHostAgentGrain>(spec.MachineId);
        IReadOnlyList<TaskSpecError> refused;
        try
        {
            refused = await agent.Validate(spec);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new TaskCreation(null, errors, $"machine_id: the host agent of machine '{spec.MachineId}' is not available: {e.Message}");
        }
        if (refused.Count > 0)
        {
            foreach (var e in refused)
                Add(errors, e.Field, e.Message);
            return new TaskCreation(null, errors, null);
        }

        var id = TaskIds.New();
        return new TaskCreation(await grains.GetGrain<IMonitoringTaskGrain>(id).Create(spec), errors, null);
    }

    /// <summary>Newest first. Query: machine, state, label (KEY=VALUE, repeatable: all must match), limit (1-1000, default 100).</summary>
    private static async Task<Results<Ok<IReadOnlyList<TaskBody>>, ValidationProblem>> ListTasks(
        IGrainFactory grains, string? machine, string? state, string[]? label, int? limit)
    {
        if (!TaskLabels.TryParseFilter(label, out var labels, out var bad))
            return ApiProblems.Invalid("label", bad);
        TaskState? wanted = null;
        if (state is not null)
        {
            if (!Enum.TryParse<TaskState>(state, ignoreCase: true, out var s) || !Enum.IsDefined(s) || state.Any(char.IsDigit))
                return ApiProblems.Invalid("state", $"must be one of {string.Join(", ", Enum.GetNames<TaskState>().Select(n => n.ToLowerInvariant()))}");
            wanted = s;
        }
        if (!ApiProblems.TryLimit(limit, MaxListLimit, out var n, out var why))
            return ApiProblems.Invalid("limit", why);
        return TypedResults.Ok(await ListAsync(grains, machine, wanted, labels, n));
    }

    /// <summary>Newest first, at most <paramref name="limit"/>: the list of GET /api/v1/tasks, also the console's.</summary>
    internal static async Task<IReadOnlyList<TaskBody>> ListAsync(
        IGrainFactory grains, string? machine, TaskState? wanted, IReadOnlyDictionary<string, string> labels, int limit)
    {
        var entries = await grains.GetGrain<ITaskDirectoryGrain>("all").List();
        var result = new List<TaskBody>();
        // Newest first, read in small parallel rounds until the page is full.
        var candidates = entries.Reverse().Where(e => machine is null || e.MachineId == machine).ToList();
        for (int i = 0; i < candidates.Count && result.Count < limit; i += 32)
        {
            var views = await Task.WhenAll(candidates.Skip(i).Take(32).Select(e => grains.GetGrain<IMonitoringTaskGrain>(e.TaskId).GetView()));
            foreach (var v in views)
            {
                if (v is not null && (wanted is null || v.State == wanted) && TaskLabels.Match(v.Spec.Labels, labels) && result.Count < limit)
                    result.Add(ToBody(v));
            }
        }
        return result;
    }

    private static async Task<Results<Ok<TaskBody>, NotFound<ProblemDetailsLike>, ValidationProblem>> GetTask(string id, IGrainFactory grains)
    {
        if (!TaskIds.IsValid(id))
            return ApiProblems.Invalid("id", "must be a task id (32 lowercase hex digits)");
        return await grains.GetGrain<IMonitoringTaskGrain>(id).GetView() is { } view
            ? TypedResults.Ok(ToBody(view))
            : TypedResults.NotFound(ProblemDetailsLike.NotFound($"no task {id}"));
    }

    /// <summary>Stops the task's collector and answers once it has exited, with the task (stopped, or as it already ended).</summary>
    private static async Task<Results<Ok<TaskBody>, NotFound<ProblemDetailsLike>, ValidationProblem>> StopTask(string id, IGrainFactory grains)
    {
        if (!TaskIds.IsValid(id))
            return ApiProblems.Invalid("id", "must be a task id (32 lowercase hex digits)");
        return await StopAsync(id, grains) is { } stopped
            ? TypedResults.Ok(stopped)
            : TypedResults.NotFound(ProblemDetailsLike.NotFound($"no task {id}"));
    }

    /// <summary>Stops a task (a valid id) and answers once its collector has exited; null for no such task. The API's path and the console's.</summary>
    internal static async Task<TaskBody?> StopAsync(string id, IGrainFactory grains)
    {
        var task = grains.GetGrain<IMonitoringTaskGrain>(id);
        if (await task.GetView() is null)
            return null;
        return ToBody(await task.StopTask());
    }

    internal static TaskBody ToBody(TaskView v) => new(
        v.Id, v.Spec.MachineId, Name(v.State), v.Reason, v.Spec.Probes,
        new Targets(v.Spec.Targets.Pids, v.Spec.Targets.Comms, v.Spec.Targets.ExecPaths),
        new Options(v.Spec.Options.PythonHz, v.Spec.Options.SyscallEvents, v.Spec.Options.CountsOnly, v.Spec.Options.FollowChildren),
        v.Spec.Labels, new Collector(v.CollectorId, v.CollectorPid), v.CreatedAt, v.UpdatedAt,
        [.. v.Transitions.Select(t => new Transition(Name(t.State), t.At, t.Reason))],
        new Restarts(v.Restarts.Count, v.Restarts.LastExitCode, v.Restarts.LastSignal, v.Restarts.LastReason, v.Restarts.LastAt));

    internal static string Name(TaskState s) => s.ToString().ToLowerInvariant();

    private static void Add(Dictionary<string, List<string>> errors, string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
            errors[field] = list = [];
        list.Add(message);
    }

    private static ValidationProblem Problem(Dictionary<string, List<string>> errors) =>
        TypedResults.ValidationProblem(
            errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
            title: "Invalid task",
            detail: string.Join("; ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))));

    private static UnprocessableEntity<ProblemDetailsLike> Unprocessable(string detail) =>
        TypedResults.UnprocessableEntity(new ProblemDetailsLike(
            "https://tools.ietf.org/html/rfc9110#section-15.5.21", "Machine not available", StatusCodes.Status422UnprocessableEntity, detail));

    /// <summary>
    /// The body of POST /api/v1/tasks, read field by field so that every mistake is named:
    /// <c>{"machine_id": "…", "probes": ["syscalls"], "targets": {"pids": [1], "comm": ["app"], "exec_path": ["/usr/bin/app"]},
    /// "options": {"python_hz": 99, "syscall_events": ["openat"], "counts_only": false, "follow_children": true},
    /// "labels": {"app": "x"}}</c>. Unknown fields are refused.
    /// </summary>
    internal static class TaskRequest
    {
        public static (TaskSpec? Spec, Dictionary<string, List<string>> Errors) Parse(JsonElement root)
        {
            var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            if (root.ValueKind != JsonValueKind.Object)
            {
                Add(errors, "body", "must be a JSON object");
                return (null, errors);
            }
            string? machine = null;
            List<string>? probes = null;
            var pids = new List<int>();
            var comms = new List<string>();
            var paths = new List<string>();
            var options = TaskOptions.Default;
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in root.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "machine_id":
                        machine = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                        if (machine is null)
                            Add(errors, "machine_id", "must be a string");
                        break;
                    case "probes":
                        probes = Strings(p.Value, "probes", errors);
                        break;
                    case "targets":
                        ParseTargets(p.Value, pids, comms, paths, errors);
                        break;
                    case "options":
                        options = ParseOptions(p.Value, errors);
                        break;
                    case "labels":
                        ParseLabels(p.Value, labels, errors);
                        break;
                    default:
                        Add(errors, p.Name, "is not a field of a task (machine_id, probes, targets, options, labels)");
                        break;
                }
            }
            if (machine is null && !errors.ContainsKey("machine_id"))
                Add(errors, "machine_id", "is required");
            if (probes is null && !errors.ContainsKey("probes"))
                Add(errors, "probes", "is required: some of process, syscalls, cuda, python");
            if (machine is null || probes is null)
                return (null, errors);
            return (new TaskSpec(machine, probes, new TaskTargets(pids, comms, paths), options, labels), errors);
        }

        private static void ParseTargets(JsonElement v, List<int> pids, List<string> comms, List<string> paths, Dictionary<string, List<string>> errors)
        {
            if (v.ValueKind != JsonValueKind.Object)
            {
                Add(errors, "targets", "must be an object with pids, comm and/or exec_path");
                return;
            }
            foreach (var t in v.EnumerateObject())
            {
                switch (t.Name)
                {
                    case "pids":
                        if (t.Value.ValueKind != JsonValueKind.Array)
                        {
                            Add(errors, "targets.pids", "must be an array of process ids");
                            break;
                        }
                        foreach (var pid in t.Value.EnumerateArray())
                        {
                            if (pid.ValueKind == JsonValueKind.Number && pid.TryGetInt32(out var n))
                                pids.Add(n);
                            else
                                Add(errors, "targets.pids", $"{pid.GetRawText()} is not a process id");
                        }
                        break;
                    case "comm":
                        comms.AddRange(Strings(t.Value, "targets.comm", errors) ?? []);
                        break;
                    case "exec_path":
                        paths.AddRange(Strings(t.Value, "targets.exec_path", errors) ?? []);
                        break;
                    default:
                        Add(errors, "targets." + t.Name, "is not a kind of target (pids, comm, exec_path)");
                        break;
                }
            }
        }

        private static TaskOptions ParseOptions(JsonElement v, Dictionary<string, List<string>> errors)
        {
            var o = TaskOptions.Default;
            if (v.ValueKind != JsonValueKind.Object)
            {
                Add(errors, "options", "must be an object");
                return o;
            }
            foreach (var p in v.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "python_hz":
                        if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var hz))
                            o = o with { PythonHz = hz };
                        else
                            Add(errors, "options.python_hz", "must be an integer");
                        break;
                    case "syscall_events":
                        o = o with { SyscallEvents = Strings(p.Value, "options.syscall_events", errors) };
                        break;
                    case "counts_only":
                        if (p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                            o = o with { CountsOnly = p.Value.GetBoolean() };
                        else
                            Add(errors, "options.counts_only", "must be true or false");
                        break;
                    case "follow_children":
                        if (p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                            o = o with { FollowChildren = p.Value.GetBoolean() };
                        else
                            Add(errors, "options.follow_children", "must be true or false");
                        break;
                    default:
                        Add(errors, "options." + p.Name, "is not an option (python_hz, syscall_events, counts_only, follow_children)");
                        break;
                }
            }
            return o;
        }

        private static void ParseLabels(JsonElement v, Dictionary<string, string> labels, Dictionary<string, List<string>> errors)
        {
            if (v.ValueKind != JsonValueKind.Object)
            {
                Add(errors, "labels", "must be an object of strings");
                return;
            }
            foreach (var p in v.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    Add(errors, "labels", $"the value of '{p.Name}' must be a string");
                else
                    labels[p.Name] = p.Value.GetString()!;
            }
        }

        private static List<string>? Strings(JsonElement v, string field, Dictionary<string, List<string>> errors)
        {
            if (v.ValueKind != JsonValueKind.Array || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            {
                Add(errors, field, "must be an array of strings");
                return null;
            }
            return [.. v.EnumerateArray().Select(e => e.GetString()!)];
        }
    }
}
