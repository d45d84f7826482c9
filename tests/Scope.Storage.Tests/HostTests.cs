using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Scope.Silo.Storage;

namespace Scope.Storage.Tests;

[Collection(PostgresGroup.Name)]
public sealed class HostTests(PgServer server)
{
    /// <summary>Registered before AddScopeStorage, yet must find the schema in place when it starts.</summary>
    private sealed class EarlyService(NpgsqlDataSource ds) : IHostedService
    {
        public bool SawSchema { get; private set; }

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await using var cmd = ds.CreateCommand("SELECT to_regclass('scope.events') IS NOT NULL");
            SawSchema = (bool)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    [Fact]
    public async Task AddScopeStorage_migrates_first_then_writes_and_drains_on_stop()
    {
        var connectionString = await server.CreateDatabaseAsync("host");
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Scope:Storage:ConnectionString"] = connectionString,
            ["Scope:Storage:RetentionDays"] = "3",
            ["Scope:Storage:FlushIntervalMs"] = "5000",
        });
        builder.Services.AddSingleton<EarlyService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EarlyService>());
        builder.Services.AddScopeStorage(builder.Configuration);
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        Assert.Equal((3, 256, 50_000, 5000), (options.RetentionDays, options.BufferMb, options.MaxBatchRecords, options.FlushIntervalMs));

        await host.StartAsync();
        Assert.True(host.Services.GetRequiredService<EarlyService>().SawSchema);
        // The maintainer runs at start, in the background.
        var ds0 = server.DataSource(connectionString);
        await Helpers.EventuallyAsync(async () => await Helpers.ScalarAsync<long>(ds0, "SELECT count(*) FROM pg_class WHERE relname = @n",
            ("n", PartitionMaintainer.PartitionName(DateOnly.FromDateTime(DateTime.UtcNow.AddDays(2))))) == 1, "the maintainer's first pass");

        var writer = host.Services.GetRequiredService<PersistenceWriter>();
        Assert.Same(writer, host.Services.GetServices<IHostedService>().OfType<PersistenceWriter>().Single());
        var run = new Run(Helpers.NewMachine("host"));
        Assert.True(await writer.EnqueueAsync(run.Batch([Records.Syscall(Run.At(1), Run.Boot, 1, 1, "h", 0, 0, 0)]), default));
        // The flush interval is 5 s: stopping must write the batch rather than wait for it or lose it.
        await host.StopAsync();

        var ds = server.DataSource(connectionString);
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(ds, "SELECT count(*) FROM scope.events"));
        Assert.True(await host.Services.GetRequiredService<ScopeReadStore>().PingAsync(default));
    }

    [Fact]
    public async Task A_missing_connection_string_fails_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddScopeStorage(builder.Configuration);
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ConnectionString", ex.Message, StringComparison.Ordinal);
    }
}
