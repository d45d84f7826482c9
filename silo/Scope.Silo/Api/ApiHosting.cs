using System.Text.Json;
using System.Text.Json.Serialization;
using Scope.Grains.Placement;
using Scope.Silo.Auth;
using Scope.Silo.Hosting;
using Scope.Silo.Traces;

namespace Scope.Silo.Api;

/// <summary>Configuration section Scope:Api.</summary>
public sealed class ApiOptions
{
    /// <summary>Any addresses: every route but the public ones needs a token (docs/auth.md). The default stays loopback.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:8080";
}

public static class ApiHosting
{
    public static IHostApplicationBuilder AddScopeApi(this WebApplicationBuilder builder)
    {
        var o = builder.Configuration.GetSection("Scope:Api").Get<ApiOptions>() ?? new ApiOptions();
        builder.WebHost.UseUrls(o.Urls);
        builder.AddScopeProxy();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<PlacementProblems>();
        if (builder.Configuration.GetScopeRole().HostsClusterWide())
        {
            builder.AddScopeAuth();
            builder.AddScopeOpenApi();
            // A route mapped without a policy still needs a signed-in user; public ones say AllowAnonymous.
            builder.Services.AddAuthorizationBuilder().SetFallbackPolicy(
                new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        }
        builder.Services.ConfigureHttpJsonOptions(j =>
        {
            j.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            j.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
            // A Python call tree nests up to 66 nodes (64 frames, "[truncated]" and the root), two JSON levels each.
            j.SerializerOptions.MaxDepth = 256;
        });
        return builder;
    }

    public static WebApplication MapScopeApi(this WebApplication app)
    {
        app.UseScopeProxy();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthEndpoints();
        // An edge serves /health and /metrics only (docs/fleet.md): the API is the core's.
        if (!app.Configuration.GetScopeRole().HostsClusterWide())
            return app;
        app.UseQueryGuard();
        app.UseScopeAuth();
        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        var v1 = app.MapGroup("/api/v1");
        v1.MapScopeAuth();
        // Reading needs any role; the routes that start or stop monitoring add the operator policy.
        var read = v1.MapGroup("").RequireAuthorization(ScopePolicies.Viewer).WithProblemResults();
        read.MapMachineEndpoints();
        read.MapProcessEndpoints();
        read.MapCudaEndpoints();
        read.MapPythonEndpoints();
        read.MapEventEndpoints();
        read.MapTraceEndpoints();
        read.MapTaskEndpoints();
        return app;
    }
}
