using Microsoft.AspNetCore.Http.HttpResults;
using Scope.Silo.Collectors;
using Scope.Silo.Ingest;
using Scope.Silo.Storage;

namespace Scope.Silo.Api;

internal static class HealthEndpoints
{
    public sealed record Health(string Status, bool Silo, bool Storage, bool Ingest, IReadOnlyList<CollectorHealth> Collectors);

    public sealed record CollectorHealth(string Id, bool Running, bool Attached, int? LastExitCode);

    public static void MapHealthEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/health", GetHealth);

    /// <summary>200 only when the silo is up, PostgreSQL answers, ingest is bound and every local collector is attached.</summary>
    private static async Task<Results<Ok<Health>, JsonHttpResult<Health>>> GetHealth(
        ScopeReadStore store, IngestService ingest, CollectorRegistry collectors,
        Microsoft.Extensions.Options.IOptions<CollectorOptions> collectorOptions, CancellationToken ct)
    {
        bool db;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            db = await store.PingAsync(timeout.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            db = false;
        }
        var bound = ingest.Bound.IsCompletedSuccessfully;
        var list = collectors.Supervised.Select(c => new CollectorHealth(c.Id, c.Running, c.Ready, c.LastExitCode)).ToList();
        var attached = !collectorOptions.Value.Enabled || (list.Count > 0 && list.All(c => c.Attached));
        var ok = db && bound && attached;
        var health = new Health(ok ? "ok" : "unavailable", true, db, bound, list);
        return ok ? TypedResults.Ok(health) : TypedResults.Json(health, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
