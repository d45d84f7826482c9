using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Scope.Silo.Auth;

namespace Scope.Silo.Console;

/// <summary>
/// The cookie's checks: a user disabled, removed or given another role loses the old cookie at its
/// next request, not when it expires (a sliding cookie might never). The dashboard, a script client,
/// gets a plain 403 rather than a redirect to a page.
/// </summary>
internal static class ConsoleCookieEvents
{
    public static CookieAuthenticationEvents Create() => new()
    {
        OnValidatePrincipal = async context =>
        {
            var name = context.Principal?.Identity?.Name;
            var role = context.Principal?.FindFirst(AccessTokenIssuer.RoleClaim)?.Value;
            var users = context.HttpContext.RequestServices.GetRequiredService<UserStore>();
            var user = name is null ? null : await users.FindAsync(name, context.HttpContext.RequestAborted).ConfigureAwait(false);
            if (user is null || user.Disabled)
            {
                context.RejectPrincipal();
                await context.HttpContext.SignOutAsync(ConsoleAuth.Scheme).ConfigureAwait(false);
            }
            else if (user.Role != role)
            {
                context.ReplacePrincipal(ConsoleAuth.Principal(user));
                context.ShouldRenew = true;
            }
        },
        OnRedirectToAccessDenied = context =>
        {
            if (context.Request.Path.StartsWithSegments("/dashboard"))
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
            else
                context.Response.Redirect(context.RedirectUri);
            return Task.CompletedTask;
        },
        OnRedirectToLogin = context =>
        {
            // The circuit's hub is called by a script: a redirect to an HTML page would only confuse it.
            if (context.Request.Path.StartsWithSegments("/_blazor"))
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            else
                context.Response.Redirect(context.RedirectUri);
            return Task.CompletedTask;
        },
    };
}
