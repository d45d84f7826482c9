using Microsoft.AspNetCore.Http.HttpResults;
using Scope.Abstractions;
using Scope.Events;
using Scope.Silo.Storage;
using StoredProcess = Scope.Silo.Storage.ProcessInfo;

namespace Scope.Silo.Api;

internal static class ProcessEndpoints
{
    public sealed record Process(
        string Id, string MachineId, int Pid, string Comm, ulong StartNs, DateTimeOffset? StartTime,
        DateTimeOffset? ExitTime, int? ExitCode, int? Signal, int? Ppid, string? Filename,
        IReadOnlyList<string>? Argv, DateTimeOffset LastSeen);

    public sealed record Syscall(
        string Name, int Nr, long Count, long Errors, long TotalNs, ulong? P50Ns, ulong? P99Ns, bool Final);

    public static void MapProcessEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/processes", ListProcesses);
        api.MapGet("/processes/{id}", GetProcess);
        api.MapGet("/processes/{id}/syscalls", GetSyscalls);
    }

    private static Process ToApi(StoredProcess p) => new(
        ProcessKey.Format(p.MachineId, (uint)p.Pid, p.StartNs), p.MachineId, p.Pid, p.Comm, p.StartNs, p.StartTime,
        p.ExitTime, p.ExitCode, p.Signal, p.Ppid, p.Filename, p.Argv, p.LastSeen);

    private static async Task<Results<Ok<IReadOnlyList<Process>>, ValidationProblem>> ListProcesses(
        ScopeReadStore store, string? machine, int? pid, string? comm, DateTimeOffset? from, DateTimeOffset? to, int? limit,
        CancellationToken ct)
    {
        if (pid is <= 0)
            return ApiProblems.Invalid("pid", "must be a positive process id");
        if (!ApiProblems.TryRange(from, to, out var why))
            return ApiProblems.Invalid("from", why);
        if (!ApiProblems.TryLimit(limit, ScopeReadStore.MaxLimit, out var n, out why))
            return ApiProblems.Invalid("limit", why);
        return TypedResults.Ok(await ListAsync(store, new ProcessQuery(machine, pid, comm, from, to, n), ct));
    }

    /// <summary>The list GET /api/v1/processes answers, for a query already checked (the console uses it too).</summary>
    internal static async Task<IReadOnlyList<Process>> ListAsync(ScopeReadStore store, ProcessQuery query, CancellationToken ct)
    {
        var rows = await store.ListProcessesAsync(query, ct);
        return [.. rows.Select(ToApi)];
    }

    /// <summary>One process as GET /api/v1/processes/{id} answers it; null for an unknown process.</summary>
    internal static async Task<Process?> GetAsync(ScopeReadStore store, string machine, uint pid, ulong startNs, CancellationToken ct) =>
        await store.GetProcessAsync(machine, unchecked((int)pid), startNs, ct) is { } p ? ToApi(p) : null;

    private static async Task<Results<Ok<Process>, NotFound<ProblemDetailsLike>, ValidationProblem>> GetProcess(
        ScopeReadStore store, string id, CancellationToken ct)
    {
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
            return ApiProblems.Invalid("id", "must be MACHINE.PID.START_NS, as /api/v1/processes returns it");
        var p = await GetAsync(store, machine, pid, startNs, ct);
        return p is null ? TypedResults.NotFound(ProblemDetailsLike.NotFound($"no process {id}")) : TypedResults.Ok(p);
    }

    /// <summary>Per syscall: totals counted in the kernel, and p50/p99 from its latency histogram (null in counts-only mode).</summary>
    private static async Task<Results<Ok<IReadOnlyList<Syscall>>, NotFound<ProblemDetailsLike>, ValidationProblem>> GetSyscalls(
        ScopeReadStore store, string id, CancellationToken ct)
    {
        if (!ProcessKey.TryParse(id, out var machine, out var pid, out var startNs))
            return ApiProblems.Invalid("id", "must be MACHINE.PID.START_NS, as /api/v1/processes returns it");
        if (await store.GetProcessAsync(machine, (int)pid, startNs, ct) is null)
            return TypedResults.NotFound(ProblemDetailsLike.NotFound($"no process {id}"));
        return TypedResults.Ok(await SyscallsAsync(store, machine, pid, startNs, ct));
    }

    /// <summary>What GET /api/v1/processes/{id}/syscalls answers for a known process.</summary>
    internal static async Task<IReadOnlyList<Syscall>> SyscallsAsync(ScopeReadStore store, string machine, uint pid, ulong startNs, CancellationToken ct)
    {
        var stats = await store.GetSyscallsAsync(machine, (int)pid, startNs, ct);
        return [.. stats.Select(s =>
        {
            var hist = s.Hist is { Count: Histogram.Buckets } h ? h.ToArray() : null;
            return new Syscall(
                SyscallTable.Default.Name((uint)s.Nr), s.Nr, s.Count, s.Errors, s.TotalNs,
                hist is null ? null : Histogram.Quantile(hist, 0.50),
                hist is null ? null : Histogram.Quantile(hist, 0.99),
                s.Final);
        })];
    }
}

/// <summary>An RFC 7807 body for 404s (TypedResults.NotFound carries any value).</summary>
public sealed record ProblemDetailsLike(string Type, string Title, int Status, string Detail)
{
    public static ProblemDetailsLike NotFound(string detail) =>
        new("https://tools.ietf.org/html/rfc9110#section-15.5.5", "Not Found", 404, detail);
}
