using OpenTelemetry.Metrics;
using Scope.Grains.Placement;
using Scope.Silo.Ingest;

namespace Scope.Silo.Hosting;

public static class TelemetryHosting
{
    /// <summary>The silo's own counters as OpenTelemetry metrics, scraped at /metrics.</summary>
    public static IHostApplicationBuilder AddScopeTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(IngestMetrics.MeterName)
            .AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapScopeTelemetry(this WebApplication app)
    {
        var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
        // Where the API is served, so is authentication: metrics need a token like any other read.
        // An edge has neither; its /metrics stays on its own (loopback by default) address.
        if (app.Configuration.GetScopeRole().HostsClusterWide())
            metrics.RequireAuthorization(Scope.Silo.Auth.ScopePolicies.Viewer);
        return app;
    }
}
