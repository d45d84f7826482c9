using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor.Services;
using Orleans.Dashboard;
using Scope.Silo.Auth;

namespace Scope.Silo.Console;

/// <summary>
/// The admin console (/console, Blazor Server with MudBlazor) and the Orleans dashboard (/dashboard,
/// admins), for the roles that serve the API (core, all). docs/console.md.
/// </summary>
public static class ConsoleHosting
{
    /// <summary>After AddScopeAuth: adds the cookie scheme and makes the request's path pick the scheme.</summary>
    public static IHostApplicationBuilder AddScopeConsole(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        // MudBlazor's CSS and scripts live in its package, not in a wwwroot: outside Development only
        // this manifest (written by the build) tells the web root where they are. A published silo carries them in wwwroot instead.
        builder.WebHost.UseStaticWebAssets();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, ConsoleSessionRevalidator>();
        services.AddScoped<ConsoleActions>();
        // Read at start: a malformed address fails the silo's start, naming the setting.
        services.AddSingleton(GrafanaLinks.From(builder.Configuration));

        services.AddAuthentication(o =>
            {
                // Replaces AddScopeAuth's bearer default: the selector forwards to it for every non-console path.
                o.DefaultScheme = ConsoleAuth.SelectorScheme;
                o.DefaultChallengeScheme = ConsoleAuth.SelectorScheme;
                o.DefaultForbidScheme = ConsoleAuth.SelectorScheme;
            })
            .AddPolicyScheme(ConsoleAuth.SelectorScheme, "cookie for the console, bearer otherwise", o =>
                o.ForwardDefaultSelector = http => ConsoleAuth.UsesCookie(http.Request.Path) ? ConsoleAuth.Scheme : JwtBearerDefaults.AuthenticationScheme)
            .AddCookie(ConsoleAuth.Scheme, o =>
            {
                o.Cookie.Name = ConsoleAuth.CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                // Sliding: each request in the second half of the window renews it, so an active user never signs in again.
                o.ExpireTimeSpan = TimeSpan.FromMinutes(30);
                o.SlidingExpiration = true;
                o.LoginPath = ConsoleAuth.LoginPath;
                o.AccessDeniedPath = "/console/denied";
                o.Events = ConsoleCookieEvents.Create();
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(ConsoleAuth.ViewerPolicy, p => p.AddAuthenticationSchemes(ConsoleAuth.Scheme).RequireAuthenticatedUser()
                .RequireRole(UserRoles.Admin, UserRoles.Operator, UserRoles.Viewer))
            .AddPolicy(ConsoleAuth.OperatorPolicy, p => p.AddAuthenticationSchemes(ConsoleAuth.Scheme).RequireAuthenticatedUser()
                .RequireRole(UserRoles.Admin, UserRoles.Operator))
            .AddPolicy(ConsoleAuth.AdminPolicy, p => p.AddAuthenticationSchemes(ConsoleAuth.Scheme).RequireAuthenticatedUser()
                .RequireRole(UserRoles.Admin));

        builder.UseOrleans(silo => silo.AddDashboard());
        return builder;
    }

    /// <summary>After MapScopeApi (its UseScopeAuth puts authentication before antiforgery).</summary>
    public static WebApplication MapScopeConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAntiforgery();
        // CSS, scripts and fonts: the login page needs them before anyone signs in.
        app.MapStaticAssets().AllowAnonymous().ExcludeFromDescription();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().ExcludeFromDescription();
        app.MapPost("/console/logout", Logout).RequireAuthorization(ConsoleAuth.ViewerPolicy).ExcludeFromDescription();
        app.MapGet("/console/logout", () => Results.Redirect("/console")).RequireAuthorization(ConsoleAuth.ViewerPolicy).ExcludeFromDescription();
        app.MapOrleansDashboard(routePrefix: "/dashboard").RequireAuthorization(ConsoleAuth.AdminPolicy).ExcludeFromDescription();
        return app;
    }

    /// <summary>A form post from the console's menu (with its antiforgery token): ends the cookie session.</summary>
    private static async Task<IResult> Logout(HttpContext http, IAntiforgery antiforgery)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(http);
        }
        catch (AntiforgeryValidationException)
        {
            return Results.BadRequest();
        }
        await http.SignOutAsync(ConsoleAuth.Scheme);
        return Results.Redirect(ConsoleAuth.LoginPath);
    }
}
