using OpenTelemetry.Metrics;
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
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
