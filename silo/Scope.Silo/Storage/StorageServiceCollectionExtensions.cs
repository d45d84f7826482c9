using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Scope.Silo.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers PostgreSQL storage from <c>Scope:Storage</c>: the data source, the
    /// <see cref="Migrator"/> (the first hosted service to start, wherever this is called), the
    /// <see cref="PartitionMaintainer"/>, the <see cref="PersistenceWriter"/> and the
    /// <see cref="CudaMetricsWriter"/> (singletons that are also hosted) and the <see cref="ScopeReadStore"/>.
    /// </summary>
    public static IServiceCollection AddScopeStorage(this IServiceCollection services, IConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(config);

        services.AddOptions<StorageOptions>()
            .Bind(config.GetSection(StorageOptions.SectionName))
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "Scope:Storage:ConnectionString is required (scripts/pg.sh url prints the dev one)")
            .Validate(o => o.RetentionDays >= 0, "Scope:Storage:RetentionDays must be >= 0 (0 keeps events forever)")
            .Validate(o => o.BufferMb > 0, "Scope:Storage:BufferMb must be > 0")
            .Validate(o => o.MaxBatchRecords > 0, "Scope:Storage:MaxBatchRecords must be > 0")
            .Validate(o => o.FlushIntervalMs >= 0, "Scope:Storage:FlushIntervalMs must be >= 0")
            .ValidateOnStart();

        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
            if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName))
                builder.ConnectionStringBuilder.ApplicationName = "scope-silo";
            // Npgsql's own logging is left unwired: it logs every command at Information, and the
            // storage services log the failures that matter themselves.
            return builder.Build();
        });

        services.AddSingleton(sp => new Migrator(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<ILogger<Migrator>>()));
        services.AddSingleton(sp => new PartitionMaintainer(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<IOptions<StorageOptions>>(),
            sp.GetRequiredService<ILogger<PartitionMaintainer>>(),
            sp.GetService<TimeProvider>(),
            sp.GetRequiredService<Migrator>()));
        services.AddSingleton(sp => new PersistenceWriter(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<IOptions<StorageOptions>>(),
            sp.GetRequiredService<ILogger<PersistenceWriter>>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetRequiredService<Migrator>()));
        services.AddSingleton(sp => new CudaMetricsWriter(
            sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<ILogger<CudaMetricsWriter>>(),
            sp.GetService<IMeterFactory>(),
            sp.GetRequiredService<Migrator>()));
        services.AddSingleton(sp => new ScopeReadStore(sp.GetRequiredService<NpgsqlDataSource>()));

        // Hosted services start in registration order: the migrator goes before every one already
        // registered (Orleans' silo included), so nothing touches the database before the schema.
        var migratorHost = ServiceDescriptor.Singleton<IHostedService>(sp => sp.GetRequiredService<Migrator>());
        int firstHosted = -1;
        for (int i = 0; i < services.Count; i++)
        {
            if (services[i].ServiceType == typeof(IHostedService))
            {
                firstHosted = i;
                break;
            }
        }
        if (firstHosted < 0)
            services.Add(migratorHost);
        else
            services.Insert(firstHosted, migratorHost);

        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PartitionMaintainer>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PersistenceWriter>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<CudaMetricsWriter>());
        return services;
    }
}
