using Microsoft.AspNetCore.Http.Metadata;

namespace Scope.Silo.Api;

/// <summary>
/// Two guards that keep every error of /api/v1 an RFC 7807 answer: query values with control
/// characters are refused before any handler sees them (PostgreSQL text cannot hold NUL, and no
/// parameter of this API needs one), and the handlers' <see cref="ProblemDetailsLike"/> answers go
/// out as application/problem+json like the rest.
/// </summary>
internal static class ProblemGuards
{
    public static WebApplication UseQueryGuard(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            foreach (var (name, values) in context.Request.Query)
            {
                if (values.Any(v => v is not null && v.Any(char.IsControl)))
                {
                    var result = ApiProblems.Invalid(name, "must not contain control characters");
                    await result.ExecuteAsync(context);
                    return;
                }
            }
            await next(context);
        });
        return app;
    }

    /// <summary>Turns a handler's <see cref="ProblemDetailsLike"/> into a problem result.</summary>
    public static TBuilder WithProblemResults<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            var inner = result is INestedHttpResult nested ? nested.Result : result;
            return inner is IValueHttpResult { Value: ProblemDetailsLike p }
                ? TypedResults.Problem(p.Detail, statusCode: p.Status, title: p.Title, type: p.Type)
                : result;
        });
}
