using Microsoft.AspNetCore.Http.HttpResults;
using Scope.Abstractions;
using Scope.Events;
using Scope.Silo.Storage;

namespace Scope.Silo.Api;

/// <summary>
/// A process's Python profile, built at each request from its stored python_sample, python_code and
/// python_call records (so it answers for running and exited processes alike): the sampled call tree,
/// folded stacks, the hottest functions and lines, and the exact calls the interpreter's USDT probes saw.
/// </summary>
internal static class PythonEndpoints
{
    /// <summary>The most samples (or calls) one request reads; past it the answer says truncated.</summary>
    public const int MaxRecords = 500_000;

    public const int MaxLimit = 1000;
    private const int LinesPerFunction = 10;

    /// <param name="Process">The process id.</param>
    /// <param name="Samples">Samples with Python frames.</param>
    /// <param name="NoPythonSamples">Samples of a thread that was not running Python.</param>
    /// <param name="Truncated">The range held more than <see cref="MaxRecords"/> samples: only the first were read.</param>
    /// <param name="DeepSamples">Samples deeper than 64 frames (under a "[truncated]" frame).</param>
    /// <param name="DroppedSamples">Samples left out because the tree reached its size bound.</param>
    public sealed record Profile(
        string Process, long Samples, long NoPythonSamples, bool Truncated, long DeepSamples, long DroppedSamples,
        IReadOnlyList<TopFunction> Top, TreeNode Tree, IReadOnlyList<string> Folded);

    public sealed record TopFunction(string Function, string? File, long Self, long Inclusive, IReadOnlyList<HotLine> Lines);

    public sealed record HotLine(uint Line, long Self);

    public sealed record TreeNode(string Name, long Self, long Inclusive, IReadOnlyList<TreeNode> Children);

    public sealed record CallStat(string Function, string File, long Count, ulong TotalNs, ulong MaxNs, ulong MeanNs);

    public static void MapPythonEndpoints(this RouteGroupBuilder api)
    {
        var python = api.MapGroup("/processes/{id}/python");
        python.MapGet("/profile", GetProfile);
        python.MapGet("/calls", GetCalls);
    }

    /// <summary>
    /// The profile of the samples taken in [from, to) (all of them by default); format=folded answers the
    /// folded stacks alone, as text/plain, for flamegraph.pl or speedscope. limit caps the top functions.
    /// </summary>
    private static async Task<Results<Ok<Profile>, ContentHttpResult, NotFound<ProblemDetailsLike>, ValidationProblem>> GetProfile(
        ScopeReadStore store, string id, DateTimeOffset? from, DateTimeOffset? to, string? format, int? limit, CancellationToken ct)
    {
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
            return BadId();
        if (!ApiProblems.TryRange(from, to, out var why))
            return ApiProblems.Invalid("from", why);
        if (format is not (null or "json" or "folded"))
            return ApiProblems.Invalid("format", "must be json or folded");
        bool folded = format == "folded";
        if (!ApiProblems.TryLimit(limit, MaxLimit, out var top, out why))
            return ApiProblems.Invalid("limit", why);
        if (await store.GetProcessAsync(machine, unchecked((int)pid), startNs, ct) is null)
            return NotFound(id);

        var profile = new PythonProfile();
        var cap = new ReadCap();
        await foreach (var record in store.ReadPythonRecordsAsync(machine, unchecked((int)pid), startNs, from, to, MaxRecords, PythonRecordKinds.Samples, cap, ct))
            profile.Apply(record);

        if (folded)
        {
            var lines = profile.Folded();
            return TypedResults.Text(lines.Count == 0 ? "" : string.Join('\n', lines) + "\n", "text/plain; charset=utf-8");
        }

        var v = profile.View(top, LinesPerFunction);
        return TypedResults.Ok(new Profile(
            ProcessKey.Format(machine, pid, startNs), v.Samples, v.NoPythonSamples, cap.Hit, v.DeepSamples, v.DroppedSamples,
            [.. v.Top.Select(f => new TopFunction(f.Function, f.File, f.Self, f.Inclusive, [.. f.Lines.Select(l => new HotLine(l.Line, l.Self))]))],
            ToApi(v.Tree), v.Folded));
    }

    /// <summary>Exact calls in [from, to), by function and file, the most total time first.</summary>
    private static async Task<Results<Ok<IReadOnlyList<CallStat>>, NotFound<ProblemDetailsLike>, ValidationProblem>> GetCalls(
        ScopeReadStore store, string id, DateTimeOffset? from, DateTimeOffset? to, int? limit, CancellationToken ct)
    {
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
            return BadId();
        if (!ApiProblems.TryRange(from, to, out var why))
            return ApiProblems.Invalid("from", why);
        if (!ApiProblems.TryLimit(limit ?? MaxLimit, MaxLimit, out var n, out why))
            return ApiProblems.Invalid("limit", why);
        if (await store.GetProcessAsync(machine, unchecked((int)pid), startNs, ct) is null)
            return NotFound(id);

        var profile = new PythonProfile();
        var cap = new ReadCap();
        await foreach (var record in store.ReadPythonRecordsAsync(machine, unchecked((int)pid), startNs, from, to, MaxRecords, PythonRecordKinds.Calls, cap, ct))
            profile.Apply(record);
        IReadOnlyList<CallStat> result = [.. profile.CallTotals().Take(n).Select(c => new CallStat(c.Function, c.File, c.Count, c.TotalNs, c.MaxNs, c.MeanNs))];
        return TypedResults.Ok(result);
    }

    private static TreeNode ToApi(PythonProfileNode n) => new(n.Name, n.Self, n.Inclusive, [.. n.Children.Select(ToApi)]);

    private static ValidationProblem BadId() =>
        ApiProblems.Invalid("id", "must be MACHINE.PID.START_NS, as /api/v1/processes returns it");

    private static NotFound<ProblemDetailsLike> NotFound(string id) =>
        TypedResults.NotFound(ProblemDetailsLike.NotFound($"no process {id}"));
}
