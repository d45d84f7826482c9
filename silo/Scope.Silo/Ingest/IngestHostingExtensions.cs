namespace Scope.Silo.Ingest;

public static class IngestHostingExtensions
{
    public static IHostApplicationBuilder AddScopeIngest(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<IngestOptions>(builder.Configuration.GetSection("Scope:Ingest"));
        builder.Services.AddSingleton<CollectorRegistry>();
        builder.Services.AddSingleton<IngestMetrics>();
        builder.Services.AddSingleton<IngestService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<IngestService>());
        return builder;
    }
}
