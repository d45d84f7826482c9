using Orleans.Configuration;
using Orleans.Hosting;
using Scope.Grains;
using Scope.Grains.Placement;

namespace Scope.Silo.Hosting;

/// <summary>Configuration section Scope:Orleans.</summary>
public sealed class OrleansOptions
{
    public const string AdoNet = "AdoNet";
    public const string Localhost = "Localhost";

    /// <summary><c>AdoNet</c>: membership in PostgreSQL (a cluster of hosts); <c>Localhost</c>: this silo alone.</summary>
    public string Clustering { get; set; } = AdoNet;

    /// <summary>The address other silos and clients reach this one at; empty: 127.0.0.1 (one host).</summary>
    public string AdvertisedAddress { get; set; } = "";

    public int SiloPort { get; set; } = 11111;

    /// <summary>0: no gateway (an edge that clients need not reach).</summary>
    public int GatewayPort { get; set; } = 30000;

    public string ClusterId { get; set; } = "scope";
}

public static class OrleansHosting
{
    public static IHostApplicationBuilder AddScopeOrleans(this IHostApplicationBuilder builder)
    {
        var o = builder.Configuration.GetSection("Scope:Orleans").Get<OrleansOptions>() ?? new OrleansOptions();
        ClusterMembership.Validate(o);
        var identity = SiloIdentity(builder.Configuration);
        builder.Services.AddOptions<CudaOptions>()
            .Bind(builder.Configuration.GetSection(CudaOptions.SectionName))
            .Validate(c => c.MetricsIntervalSeconds is >= 0 and <= 86400, "Scope:Cuda:MetricsIntervalSeconds must be 0 to 86400")
            .Validate(c => c.LeakAgeSeconds is > 0 and <= 315_360_000, "Scope:Cuda:LeakAgeSeconds must be 1 to 315360000 (ten years)")
            .Validate(c => c.MaxLiveAllocations > 0, "Scope:Cuda:MaxLiveAllocations must be > 0")
            .ValidateOnStart();
        var tls = ClusterTls.FromConfiguration(builder.Configuration);
        var storage = builder.Configuration["Scope:Storage:ConnectionString"];
        builder.UseOrleans(silo =>
        {
            silo.UseScopeClustering(o, storage);
            silo.Configure<SiloOptions>(s => s.SiloName = identity.SiloName(Environment.MachineName));
            if (tls is not null)
                silo.UseTls(tls.Certificate, t => ClusterTls.Configure(t, tls));
            // Role and machines as silo metadata; pinned grains on their machine, the rest off edges.
            silo.AddScopePlacement(identity);
            // Batches flow to subscribers over a stream. Memory streams lose what a dead silo held;
            // that loss is not silent: the collector ledger counts it as a gap (docs/data-flow.md).
            // Its queue is pulled on core silos only, so an edge that dies takes no other host's batches with it.
            silo.AddMemoryStreams(StreamNames.Provider, b =>
            {
                b.ConfigurePartitioning(1);
                b.ConfigurePartitionBalancing((sp, _) => ActivatorUtilities.CreateInstance<CoreQueueBalancer>(sp));
            });
            silo.AddMemoryGrainStorage("PubSubStore");
            silo.Configure<GrainCollectionOptions>(c => c.CollectionAge = TimeSpan.FromMinutes(10));
        });
        return builder;
    }

    /// <summary>
    /// The role from Scope:Role; on an edge or all-in-one silo also this host's machine id and those of
    /// the external collectors its ingest accepts (Scope:Ingest:Collectors), whose grains live here too.
    /// A core reads no machine id: it may run where /etc/machine-id does not exist.
    /// </summary>
    public static ScopeSiloIdentity SiloIdentity(IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var role = config.GetScopeRole();
        if (!role.HostsMachines())
            return new ScopeSiloIdentity(role, machineId: null);
        var external = config.GetSection("Scope:Ingest:Collectors").GetChildren()
            .Select(c => c["MachineId"])
            .OfType<string>()
            .Where(m => m.Length > 0);
        return new ScopeSiloIdentity(role, new LocalMachine(config).Id, external);
    }
}
