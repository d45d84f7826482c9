using Microsoft.AspNetCore.Http.HttpResults;
using Scope.Abstractions;
using Scope.Events;
using Scope.Grains;
using Scope.Silo.Storage;

namespace Scope.Silo.Api;

/// <summary>
/// A process's Python profile: the sampled call tree, folded stacks, the hottest functions and lines,
/// and the exact calls the interpreter's USDT probes saw. Without a range it is the one the process
/// grain keeps (from every record so far, rebuilt from storage when the grain wakes); with from or to,
/// it is built at the request from the stored python_sample, python_code and python_call records of
/// that range.
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
    /// <param name="Source">"process": the profile the process grain keeps; "store": built from the stored records of the range asked for.</param>
    /// <param name="HistoryComplete">False when the grain could not read the records stored before it woke: its profile holds only what arrived since.</param>
    public sealed record Profile(
        string Process, string Source, long Samples, long NoPythonSamples, bool Truncated, long DeepSamples, long DroppedSamples,
        bool HistoryComplete, IReadOnlyList<TopFunction> Top, TreeNode Tree, IReadOnlyList<string> Folded);

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
        ScopeReadStore store, IGrainFactory grains, string id, DateTimeOffset? from, DateTimeOffset? to, string? format, int? limit, CancellationToken ct)
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

        var key = ProcessKey.Format(machine, pid, startNs);
        PythonProfileInfo view;
        var cap = new ReadCap();
        string source;
        if (from is null && to is null)
        {
            source = "process";
            view = await grains.GetGrain<IProcessGrain>(key).GetPythonProfile(top, LinesPerFunction)
                ?? PythonInfo.Of(new PythonProfile().View(top, LinesPerFunction), 0, historyComplete: true);
        }
        else
        {
            source = "store";
            var profile = new PythonProfile();
            await foreach (var record in store.ReadPythonRecordsAsync(machine, unchecked((int)pid), startNs, from, to, MaxRecords, PythonRecordKinds.Samples, cap, ct))
                profile.Apply(record);
            view = PythonInfo.Of(profile.View(top, LinesPerFunction), profile.Calls, historyComplete: true);
        }

        if (folded)
            return TypedResults.Text(view.Folded.Count == 0 ? "" : string.Join('\n', view.Folded) + "\n", "text/plain; charset=utf-8");
        return TypedResults.Ok(new Profile(
            key, source, view.Samples, view.NoPythonSamples, cap.Hit, view.DeepSamples, view.DroppedSamples, view.HistoryComplete,
            [.. view.Top.Select(f => new TopFunction(f.Function, f.File, f.Self, f.Inclusive, [.. f.Lines.Select(l => new HotLine(l.Line, l.Self))]))],
            ToApi(view.Tree), view.Folded));
    }

    /// <summary>Exact calls (all of them, or those in [from, to)), by function and file, the most total time first.</summary>
    private static async Task<Results<Ok<IReadOnlyList<CallStat>>, NotFound<ProblemDetailsLike>, ValidationProblem>> GetCalls(
        ScopeReadStore store, IGrainFactory grains, string id, DateTimeOffset? from, DateTimeOffset? to, int? limit, CancellationToken ct)
    {
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
            return BadId();
        if (!ApiProblems.TryRange(from, to, out var why))
            return ApiProblems.Invalid("from", why);
        if (!ApiProblems.TryLimit(limit ?? MaxLimit, MaxLimit, out var n, out why))
            return ApiProblems.Invalid("limit", why);
        if (await store.GetProcessAsync(machine, unchecked((int)pid), startNs, ct) is null)
            return NotFound(id);

        IReadOnlyList<PythonCallInfo> calls;
        if (from is null && to is null)
        {
            calls = await grains.GetGrain<IProcessGrain>(ProcessKey.Format(machine, pid, startNs)).GetPythonCalls(n) ?? [];
        }
        else
        {
            var profile = new PythonProfile();
            var cap = new ReadCap();
            await foreach (var record in store.ReadPythonRecordsAsync(machine, unchecked((int)pid), startNs, from, to, MaxRecords, PythonRecordKinds.Calls, cap, ct))
                profile.Apply(record);
            calls = [.. profile.CallTotals().Take(n).Select(PythonInfo.Of)];
        }
        IReadOnlyList<CallStat> result = [.. calls.Select(c => new CallStat(c.Function, c.File, c.Count, c.TotalNs, c.MaxNs, c.MeanNs))];
        return TypedResults.Ok(result);
    }

    private static TreeNode ToApi(PythonTreeInfo n) => new(n.Name, n.Self, n.Inclusive, [.. n.Children.Select(ToApi)]);

    private static ValidationProblem BadId() =>
        ApiProblems.Invalid("id", "must be MACHINE.PID.START_NS, as /api/v1/processes returns it");

    private static NotFound<ProblemDetailsLike> NotFound(string id) =>
        TypedResults.NotFound(ProblemDetailsLike.NotFound($"no process {id}"));
}
