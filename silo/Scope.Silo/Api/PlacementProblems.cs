using Microsoft.AspNetCore.Diagnostics;
using Scope.Abstractions;
using Scope.Grains.Placement;

namespace Scope.Silo.Api;

/// <summary>
/// A call that needs a machine's grains while no silo serves that machine (its edge is down, or the
/// machine was never seen) is the cluster's state, not a server fault: 503 with the machine named,
/// as an RFC 7807 problem, instead of the generic 500.
/// </summary>
internal sealed class PlacementProblems(IProblemDetailsService problems, Storage.ScopeReadStore store) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not MachinePlacementException e)
            return false;
        // A machine nobody has heard of is a bad id, not an outage.
        if (MachineOf(httpContext) is { } machine && !await store.MachineExistsAsync(machine, cancellationToken))
        {
            httpContext.Response.StatusCode = StatusCodes.Status404NotFound;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext,
                ProblemDetails = { Status = StatusCodes.Status404NotFound, Title = "Not Found", Detail = $"no machine {machine}" },
            });
        }
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "10";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The machine's silo is not in the cluster",
                Detail = "no silo serves this machine now (its edge silo is down): " + e.Message,
            },
        });
    }

    /// <summary>The machine a request names: in a process id route value, or the machine query parameter.</summary>
    private static string? MachineOf(HttpContext context)
    {
        // The handler runs with the route values cleared; the feature keeps the failed request's.
        var values = context.Features.Get<IExceptionHandlerFeature>()?.RouteValues;
        if (values is not null && values.TryGetValue("id", out var id) && id is string key && ProcessKey.TryParse(key, out var m, out _, out _))
            return m;
        return context.Request.Query.TryGetValue("machine", out var q) && q.Count == 1 ? q[0] : null;
    }
}
