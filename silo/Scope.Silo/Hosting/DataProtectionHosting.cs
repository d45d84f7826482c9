using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Npgsql;
using Scope.Silo.Storage;

namespace Scope.Silo.Hosting;

/// <summary>
/// One Data Protection key ring for every silo that serves the console (core, all), kept in
/// PostgreSQL: behind a load balancer, a console cookie or antiforgery token issued by one silo must
/// be readable by the others, or losing a silo logs its users out (docs/deployment.md).
/// </summary>
public static class DataProtectionHosting
{
    /// <summary>
    /// The same on every silo: Data Protection otherwise isolates applications by their content root,
    /// which differs between installations.
    /// </summary>
    public const string ApplicationName = "scope";

    // Data Protection's own start-up preload of the key ring (an internal type, matched by name).
    private const string PreloadService = "Microsoft.AspNetCore.DataProtection.Internal.DataProtectionHostedService";

    /// <summary>
    /// Needs <c>AddScopeStorage</c> (the data source and the migrator); after everything else that
    /// adds Data Protection (<c>AddScopeConsole</c>), which would register its preload again.
    /// </summary>
    public static IHostApplicationBuilder AddScopeDataProtection(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton<DataProtectionKeyRepository>();
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = sp.GetRequiredService<DataProtectionKeyRepository>()));
        // That preload would make the first key outside the lock DataProtectionKeyStartup takes: the
        // startup below loads the ring in its place.
        for (int i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IHostedService) && services[i].ImplementationType?.FullName == PreloadService)
                services.RemoveAt(i);
        }
        services.AddHostedService<DataProtectionKeyStartup>();
        return builder;
    }
}

/// <summary>
/// Loads the key ring before the web server starts, under a PostgreSQL advisory lock: on an empty
/// table the first silo makes the key and the others, waiting on the lock, find it. Without the lock,
/// silos starting together would each make their own key, and past its first two minutes (when Data
/// Protection still rereads the ring for an unknown key) each would refuse the others' cookies until
/// its next refresh of the ring, up to a day later.
/// </summary>
internal sealed partial class DataProtectionKeyStartup : IHostedService
{
    // Any constant unique among SCOPE's advisory locks (Migrator: …0001, UserStore: …0006).
    private const long KeyCreationLockKey = 0x5C0_9E_0007;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Migrator _migrator;
    private readonly IDataProtectionProvider _protection;
    private readonly IKeyManager _keys;
    private readonly ILogger<DataProtectionKeyStartup> _logger;

    public DataProtectionKeyStartup(NpgsqlDataSource dataSource, Migrator migrator, IDataProtectionProvider protection,
        IKeyManager keys, ILogger<DataProtectionKeyStartup> logger)
    {
        _dataSource = dataSource;
        _migrator = migrator;
        _protection = protection;
        _keys = keys;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _migrator.WaitAsync(cancellationToken).ConfigureAwait(false);
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await LoadUnderLockAsync(cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (IsTransient(ex) && !cancellationToken.IsCancellationRequested)
            {
                LogUnreachable(_logger, delay.TotalSeconds, ex);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 5));
            }
        }
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var count = _keys.GetAllKeys().Count;
            LogLoaded(_logger, count);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task LoadUnderLockAsync(CancellationToken cancellationToken)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", conn, tx))
        {
            lockCmd.Parameters.AddWithValue("key", KeyCreationLockKey);
            await lockCmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        // Protecting anything loads the ring through the repository, and makes the first key when
        // there is none; the lock is held until the commit below.
        _protection.CreateProtector("scope.data-protection.startup").Protect([0]);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Data Protection wraps what the repository threw in a CryptographicException.</summary>
    private static bool IsTransient(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is NpgsqlException { IsTransient: true })
                return true;
        }
        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Data Protection keys (console cookies, antiforgery, circuits): {Count} in scope.data_protection_keys, shared by every silo on this database")]
    private static partial void LogLoaded(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL is unreachable for the Data Protection keys; retrying in {DelaySeconds} s")]
    private static partial void LogUnreachable(ILogger logger, double delaySeconds, Exception exception);
}
