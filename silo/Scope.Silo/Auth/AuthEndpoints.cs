using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Scope.Silo.Auth;

/// <summary>Login, refresh, logout, registration and "who am I" (docs/auth.md).</summary>
internal static class AuthEndpoints
{
    private const string BadCredentials = "invalid username or password";

    public static void MapAuthEndpoints(this RouteGroupBuilder v1)
    {
        var auth = v1.MapGroup("/auth");
        auth.MapPost("/login", Login).AllowAnonymous();
        auth.MapPost("/refresh", Refresh).AllowAnonymous();
        // Not public (issue 11 names the public routes): a signed-in user ends a session by its refresh token.
        auth.MapPost("/logout", Logout).RequireAuthorization(ScopePolicies.Viewer);
        auth.MapPost("/register", Register).AllowAnonymous();
        auth.MapGet("/me", Me).RequireAuthorization(ScopePolicies.Viewer);
    }

    /// <summary>
    /// 200 with a token pair; 401 alike for an unknown user, a wrong password and a disabled user;
    /// 429 (before any password is checked) after too many failures for the username or the address.
    /// </summary>
    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> Login(
        HttpContext http, PasswordLogin logins, RefreshTokenStore refresh, AccessTokenIssuer tokens,
        IOptions<AuthOptions> options, CancellationToken ct)
    {
        var (body, invalid) = await AuthProblems.ReadAsync<LoginRequest>(http.Request, ct);
        if (invalid is not null)
            return invalid;
        var errors = new Dictionary<string, string[]>();
        AuthProblems.Check(errors, "username", Credentials.IsValidUsername(body!.Username, out var why), why);
        AuthProblems.Check(errors, "password", body.Password is { Length: > 0 and <= Credentials.MaxPasswordLength },
            $"is required, at most {Credentials.MaxPasswordLength} characters");
        if (errors.Count > 0)
            return AuthProblems.Invalid(errors);
        var address = Address(http);
        var attempt = await logins.TryAsync(body.Username!, body.Password!, address, ct);
        if (attempt.Outcome == LoginOutcome.Throttled)
        {
            http.Response.Headers.RetryAfter = attempt.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return AuthProblems.TooManyRequests($"too many failed logins for this user or from this address; retry in {attempt.RetryAfterSeconds} s");
        }
        if (attempt.Outcome != LoginOutcome.Ok)
            return AuthProblems.Unauthorized(BadCredentials);
        var user = attempt.User!;
        var pair = await refresh.StartFamilyAsync(user.Id, TimeSpan.FromDays(options.Value.RefreshTokenDays), ct);
        return Tokens(http, tokens, user, pair);
    }

    /// <summary>200 with the next pair; 401 for a token unknown, used (the family is then revoked), revoked or expired, or a disabled user.</summary>
    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> Refresh(
        HttpContext http, RefreshTokenStore refresh, AccessTokenIssuer tokens, AuthAudit audit, CancellationToken ct)
    {
        var (body, invalid) = await AuthProblems.ReadAsync<RefreshRequest>(http.Request, ct);
        if (invalid is not null)
            return invalid;
        if (string.IsNullOrEmpty(body!.RefreshToken))
            return AuthProblems.Invalid("refresh_token", "is required");
        var result = await refresh.RotateAsync(body.RefreshToken, ct);
        switch (result.Outcome)
        {
            case RefreshOutcome.Rotated:
                return Tokens(http, tokens, result.User!, result.Next!);
            case RefreshOutcome.Reused:
                audit.RefreshReused(result.User!.Username, Address(http));
                return AuthProblems.Unauthorized("the refresh token was already used: every token of its session is now revoked; log in again");
            case RefreshOutcome.Revoked:
                return AuthProblems.Unauthorized("the refresh token was revoked; log in again");
            case RefreshOutcome.Expired:
                return AuthProblems.Unauthorized("the session has expired; log in again");
            case RefreshOutcome.Disabled:
                return AuthProblems.Unauthorized("the user is disabled");
            default:
                return AuthProblems.Unauthorized("unknown refresh token");
        }
    }

    /// <summary>204 once the token's whole family is revoked (again, if it was); 401 for an unknown token.</summary>
    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Logout(
        HttpRequest request, RefreshTokenStore refresh, CancellationToken ct)
    {
        var (body, invalid) = await AuthProblems.ReadAsync<RefreshRequest>(request, ct);
        if (invalid is not null)
            return invalid;
        if (string.IsNullOrEmpty(body!.RefreshToken))
            return AuthProblems.Invalid("refresh_token", "is required");
        return await refresh.RevokeFamilyAsync(body.RefreshToken, "logout", ct)
            ? TypedResults.NoContent()
            : AuthProblems.Unauthorized("unknown refresh token");
    }

    /// <summary>201 with a new viewer when Scope:Auth:AllowRegistration is on; 404 when it is off; 409 for a name taken.</summary>
    private static async Task<Results<Created<UserBody>, ValidationProblem, ProblemHttpResult>> Register(
        HttpRequest request, UserStore users, PasswordHasher hasher, IOptions<AuthOptions> options, AuthAudit audit, CancellationToken ct)
    {
        if (!options.Value.AllowRegistration)
            return AuthProblems.NotFound("registration is off (Scope:Auth:AllowRegistration); ask an admin for an account");
        var (body, invalid) = await AuthProblems.ReadAsync<LoginRequest>(request, ct);
        if (invalid is not null)
            return invalid;
        var errors = new Dictionary<string, string[]>();
        AuthProblems.Check(errors, "username", Credentials.IsValidUsername(body!.Username, out var badName), badName);
        AuthProblems.Check(errors, "password", Credentials.IsValidNewPassword(body.Password, out var badPassword), badPassword);
        if (errors.Count > 0)
            return AuthProblems.Invalid(errors);
        var user = await users.CreateAsync(body.Username!, await hasher.HashAsync(body.Password!, ct), UserRoles.Viewer, ct);
        if (user is null)
            return AuthProblems.Conflict($"the username '{body.Username}' is taken");
        audit.UserCreated(user.Username, user.Role, "registration");
        return TypedResults.Created($"/api/v1/users/{user.Username}", UserBody.From(user));
    }

    private static Ok<MeBody> Me(ClaimsPrincipal user) =>
        TypedResults.Ok(new MeBody(user.Identity?.Name ?? "", user.FindFirstValue(AccessTokenIssuer.RoleClaim) ?? ""));

    private static Ok<TokenResponse> Tokens(HttpContext http, AccessTokenIssuer tokens, UserRecord user, IssuedRefreshToken refresh)
    {
        // RFC 6749 5.1: answers carrying tokens must not be cached.
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";
        return TypedResults.Ok(new TokenResponse(
            tokens.Issue(user), refresh.Token, (int)tokens.Lifetime.TotalSeconds, "Bearer", user.Role));
    }

    /// <summary>The TCP peer: forwarded headers are not trusted (a client could name any address in them).</summary>
    internal static string Address(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
}
