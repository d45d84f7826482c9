using Scope.Silo.Storage;

namespace Scope.Silo.Auth;

/// <summary>
/// Hourly, deletes the refresh tokens of families that expired more than a day ago: they can only
/// be refused, and a day's grace keeps "expired" rather than "unknown" in the answer for a while.
/// </summary>
internal sealed partial class RefreshTokenCleanup : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private static readonly TimeSpan Grace = TimeSpan.FromDays(1);

    private readonly RefreshTokenStore _store;
    private readonly Migrator _migrator;
    private readonly TimeProvider _time;
    private readonly ILogger<RefreshTokenCleanup> _logger;

    public RefreshTokenCleanup(RefreshTokenStore store, Migrator migrator, ILogger<RefreshTokenCleanup> logger, TimeProvider? time = null)
    {
        _store = store;
        _migrator = migrator;
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _migrator.WaitAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var deleted = await _store.DeleteExpiredAsync(_time.GetUtcNow() - Grace, stoppingToken).ConfigureAwait(false);
                if (deleted > 0)
                    LogDeleted(_logger, deleted);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Never stop the host over housekeeping; the next pass catches up.
                LogFailed(_logger, ex);
            }
            await Task.Delay(Interval, _time, stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} refresh token(s) of expired sessions")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting expired refresh tokens failed; retrying in an hour")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
