using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Scope.Silo.Auth;

/// <summary>
/// Authentication for the REST API (docs/auth.md): users in PostgreSQL, short-lived HS256 access
/// tokens, rotated single-use refresh tokens, and the role policies of <see cref="ScopePolicies"/>.
/// For the roles that serve the API (core, all); needs <c>AddScopeStorage</c>.
/// </summary>
public static class AuthHosting
{
    public static IHostApplicationBuilder AddScopeAuth(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<AuthOptions>()
            .Bind(builder.Configuration.GetSection(AuthOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();

        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<RefreshTokenStore>();
        services.AddSingleton<SigningKeyProvider>();
        services.AddSingleton<AccessTokenIssuer>();
        services.AddSingleton<LoginRateLimiter>();
        services.AddSingleton<AuthAudit>();
        services.AddSingleton<PasswordLogin>();
        services.AddHostedService<AuthStartup>();
        services.AddHostedService<RefreshTokenCleanup>();
        services.AddProblemDetails();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, SigningKeyProvider>((jwt, auth, keys) =>
            {
                // Claims keep the names they have in the token ("role", "name", "sub").
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = AccessTokenIssuer.ValidationParameters(auth.Value, keys);
                jwt.Events = BearerProblemEvents.Create();
            });

        services.AddAuthorizationBuilder()
            .AddPolicy(ScopePolicies.Viewer, p => p.RequireAuthenticatedUser().RequireRole(UserRoles.Admin, UserRoles.Operator, UserRoles.Viewer))
            .AddPolicy(ScopePolicies.Operator, p => p.RequireAuthenticatedUser().RequireRole(UserRoles.Admin, UserRoles.Operator))
            .AddPolicy(ScopePolicies.Admin, p => p.RequireAuthenticatedUser().RequireRole(UserRoles.Admin));
        return builder;
    }

    /// <summary>
    /// Authentication and authorization middleware: after UseExceptionHandler and UseStatusCodePages,
    /// before the endpoints are reached. Only where <see cref="AddScopeAuth"/> was called.
    /// </summary>
    public static WebApplication UseScopeAuth(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<SigningKeyProvider>() is null)
            throw new InvalidOperationException("UseScopeAuth needs AddScopeAuth on the builder (the roles that serve the API: core, all)");
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>
    /// Maps /auth/login, /auth/refresh, /auth/logout, /auth/register (anonymous), /auth/me (any
    /// user) and /users (admins) under <paramref name="v1"/>, the /api/v1 group.
    /// </summary>
    public static RouteGroupBuilder MapScopeAuth(this RouteGroupBuilder v1)
    {
        v1.MapAuthEndpoints();
        v1.MapUserEndpoints();
        return v1;
    }
}
