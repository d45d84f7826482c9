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
        // Public: load balancers and probes have no token.
        app.MapGet("/health", GetHealth).AllowAnonymous();

    /// <summary>200 only when the silo is up, PostgreSQL answers, ingest is bound and every local collector is attached.</summary>
    private static async Task<Results<Ok<Health>, JsonHttpResult<Health>>> GetHealth(
        HttpContext http, ScopeReadStore store, Microsoft.Extensions.Options.IOptions<CollectorOptions> collectorOptions, CancellationToken ct)
    {
        // A core silo has no ingest and no collectors: only what it runs decides its health.
        var ingest = http.RequestServices.GetService<IngestService>();
        var collectors = http.RequestServices.GetService<CollectorRegistry>();
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
        var bound = ingest is null || ingest.Bound.IsCompletedSuccessfully;
        var list = collectors is null ? [] : collectors.Supervised.Select(c => new CollectorHealth(c.Id, c.Running, c.Ready, c.LastExitCode)).ToList();
        // The configured collector decides health; task collectors come and go with their tasks and
        // report through /api/v1/tasks.
        var configured = list.Where(c => c.Id == collectorOptions.Value.Id).ToList();
        var attached = collectors is null || !collectorOptions.Value.Enabled || (configured.Count > 0 && configured.All(c => c.Attached));
        var ok = db && bound && attached;
        var health = new Health(ok ? "ok" : "unavailable", true, db, bound, list);
        return ok ? TypedResults.Ok(health) : TypedResults.Json(health, statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
