using System.Globalization;
using System.Security.Claims;
using Scope.Silo.Auth;

namespace Scope.Silo.Console;

/// <summary>
/// The console's sign-in: a cookie scheme beside the API's bearer tokens. Console policies name the
/// cookie scheme, the API's name none (so the bearer default), so neither credential opens the
/// other's routes.
/// </summary>
public static class ConsoleAuth
{
    public const string Scheme = "scope.console";

    /// <summary>Chooses, per request, between the cookie (console paths) and the bearer token (everything else).</summary>
    public const string SelectorScheme = "scope.select";

    public const string CookieName = "scope.console";

    public const string LoginPath = "/console/login";

    public const string ViewerPolicy = "scope.console.viewer";
    public const string OperatorPolicy = "scope.console.operator";
    public const string AdminPolicy = "scope.console.admin";

    /// <summary>
    /// The paths whose callers hold the cookie: the pages, the circuit's hub and the Orleans dashboard.
    /// Static files are public and read neither credential.
    /// </summary>
    public static bool UsesCookie(PathString path) =>
        path.StartsWithSegments("/console") || path.StartsWithSegments("/_blazor") || path.StartsWithSegments("/dashboard");

    /// <summary>The cookie's principal: the same name and role claims as an access token, so the same role checks apply.</summary>
    internal static ClaimsPrincipal Principal(UserRecord user) => new(new ClaimsIdentity(
        [
            new Claim("sub", user.Id.ToString(CultureInfo.InvariantCulture)),
            new Claim(AccessTokenIssuer.NameClaim, user.Username),
            new Claim(AccessTokenIssuer.RoleClaim, user.Role),
        ],
        Scheme, AccessTokenIssuer.NameClaim, AccessTokenIssuer.RoleClaim));

    /// <summary>Only a local console or dashboard path: never another site, never "//host".</summary>
    internal static string SafeReturn(string? returnUrl) =>
        returnUrl is { Length: > 0 } r && r.StartsWith('/') && !r.StartsWith("//", StringComparison.Ordinal) && !r.Contains('\\', StringComparison.Ordinal)
            && (r.StartsWith("/console", StringComparison.Ordinal) || r.StartsWith("/dashboard", StringComparison.Ordinal))
            ? r
            : "/console";
}
