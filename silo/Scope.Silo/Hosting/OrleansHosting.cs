using Orleans.Configuration;
using Scope.Grains;

namespace Scope.Silo.Hosting;

/// <summary>Configuration section Scope:Orleans.</summary>
public sealed class OrleansOptions
{
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;
    public string ClusterId { get; set; } = "scope";
}

public static class OrleansHosting
{
    public static IHostApplicationBuilder AddScopeOrleans(this IHostApplicationBuilder builder)
    {
        var o = builder.Configuration.GetSection("Scope:Orleans").Get<OrleansOptions>() ?? new OrleansOptions();
        builder.Services.AddOptions<CudaOptions>()
            .Bind(builder.Configuration.GetSection(CudaOptions.SectionName))
            .Validate(c => c.MetricsIntervalSeconds is >= 0 and <= 86400, "Scope:Cuda:MetricsIntervalSeconds must be 0 to 86400")
            .Validate(c => c.LeakAgeSeconds is > 0 and <= 315_360_000, "Scope:Cuda:LeakAgeSeconds must be 1 to 315360000 (ten years)")
            .Validate(c => c.MaxLiveAllocations > 0, "Scope:Cuda:MaxLiveAllocations must be > 0")
            .ValidateOnStart();
        builder.UseOrleans(silo =>
        {
            // One all-in-one silo on this host; the fleet issue brings ADO.NET clustering.
            silo.UseLocalhostClustering(o.SiloPort, o.GatewayPort, serviceId: "scope", clusterId: o.ClusterId);
            // Batches flow to subscribers over a stream. Memory streams lose what a dead silo held;
            // that loss is not silent: the collector ledger counts it as a gap (docs/data-flow.md).
            silo.AddMemoryStreams(StreamNames.Provider, b => b.ConfigurePartitioning(1));
            silo.AddMemoryGrainStorage("PubSubStore");
            silo.Configure<GrainCollectionOptions>(c => c.CollectionAge = TimeSpan.FromMinutes(10));
        });
        return builder;
    }
}
