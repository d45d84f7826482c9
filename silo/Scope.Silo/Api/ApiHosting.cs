using System.Text.Json;
using System.Text.Json.Serialization;
using Scope.Grains.Placement;
using Scope.Silo.Hosting;
using Scope.Silo.Traces;

namespace Scope.Silo.Api;

/// <summary>Configuration section Scope:Api.</summary>
public sealed class ApiOptions
{
    /// <summary>Loopback only until authentication arrives (docs/api.md).</summary>
    public string Urls { get; set; } = "http://127.0.0.1:8080";
}

public static class ApiHosting
{
    public static IHostApplicationBuilder AddScopeApi(this WebApplicationBuilder builder)
    {
        var o = builder.Configuration.GetSection("Scope:Api").Get<ApiOptions>() ?? new ApiOptions();
        builder.WebHost.UseUrls(o.Urls);
        builder.Services.AddProblemDetails();
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
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapHealthEndpoints();
        // An edge serves /health and /metrics only (docs/fleet.md): the API is the core's.
        if (!app.Configuration.GetScopeRole().HostsClusterWide())
            return app;
        var v1 = app.MapGroup("/api/v1");
        v1.MapMachineEndpoints();
        v1.MapProcessEndpoints();
        v1.MapCudaEndpoints();
        v1.MapPythonEndpoints();
        v1.MapEventEndpoints();
        v1.MapTraceEndpoints();
        v1.MapTaskEndpoints();
        return app;
    }
}
