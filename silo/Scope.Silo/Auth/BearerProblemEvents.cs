using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.Tokens;

namespace Scope.Silo.Auth;

/// <summary>
/// Makes JwtBearer's 401 and 403 answers RFC 7807 problems (application/problem+json) like every other
/// error of the API, saying what was wrong without echoing the token.
/// </summary>
internal static class BearerProblemEvents
{
    public static JwtBearerEvents Create() => new()
    {
        OnChallenge = async context =>
        {
            // Without this, JwtBearer writes its own empty 401 after the event.
            context.HandleResponse();
            var failure = context.AuthenticateFailure;
            var detail = failure switch
            {
                null => "an access token is required: send Authorization: Bearer <token> (POST /api/v1/auth/login gives one)",
                SecurityTokenExpiredException => "the access token has expired: get a new one from POST /api/v1/auth/refresh",
                _ => "the access token is not valid here (signature, issuer, audience, algorithm or lifetime)",
            };
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            // RFC 6750 3: a challenge names the scheme, and the error when a token was presented.
            context.Response.Headers.WWWAuthenticate = failure is null ? "Bearer" : "Bearer error=\"invalid_token\"";
            await WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "Unauthorized", detail).ConfigureAwait(false);
        },
        OnForbidden = context =>
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            var role = context.HttpContext.User.FindFirst(AccessTokenIssuer.RoleClaim)?.Value ?? "none";
            return WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden, "Forbidden", $"the role '{role}' may not do this");
        },
    };

    private static async Task WriteAsync(HttpContext http, int status, string title, string detail)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        var writer = http.RequestServices.GetService<IProblemDetailsService>();
        if (writer is null || !await writer.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem }).ConfigureAwait(false))
            await http.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json").ConfigureAwait(false);
    }
}
