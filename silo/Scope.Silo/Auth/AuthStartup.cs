using Microsoft.Extensions.Options;
using Npgsql;
using Scope.Silo.Storage;

namespace Scope.Silo.Auth;

/// <summary>
/// At start-up, after the <see cref="Migrator"/> and before the API serves (the web server is the
/// last hosted service to start): loads the signing key, then makes sure there is an admin. A key
/// that cannot be loaded stops start-up: a silo that cannot verify tokens must not serve.
/// </summary>
internal sealed partial class AuthStartup : IHostedService
{
    /// <summary>The environment variable holding the first admin's password (never a configuration key, never logged).</summary>
    public const string AdminPasswordVariable = "SCOPE_ADMIN_PASSWORD";
    public const string AdminUsername = "admin";

    private readonly SigningKeyProvider _keys;
    private readonly UserStore _users;
    private readonly PasswordHasher _hasher;
    private readonly Migrator _migrator;
    private readonly AuthOptions _options;
    private readonly ILogger<AuthStartup> _logger;

    public AuthStartup(SigningKeyProvider keys, UserStore users, PasswordHasher hasher, Migrator migrator,
        IOptions<AuthOptions> options, ILogger<AuthStartup> logger)
    {
        _keys = keys;
        _users = users;
        _hasher = hasher;
        _migrator = migrator;
        _options = options.Value;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _migrator.WaitAsync(cancellationToken).ConfigureAwait(false);
        await RetryWhileUnreachableAsync(async ct =>
        {
            var key = await _keys.LoadAsync(ct).ConfigureAwait(false);
            LogKey(_logger, _keys.Generated ? "scope.auth_keys (shared by every silo on this database)" : "the configuration", key.KeyId);
        }, cancellationToken).ConfigureAwait(false);
        await RetryWhileUnreachableAsync(SeedAdminAsync, cancellationToken).ConfigureAwait(false);
        if (_options.AllowRegistration)
            LogRegistrationOpen(_logger);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task SeedAdminAsync(CancellationToken cancellationToken)
    {
        if (await _users.HasEnabledAdminAsync(cancellationToken).ConfigureAwait(false))
            return;
        var password = Environment.GetEnvironmentVariable(AdminPasswordVariable);
        if (string.IsNullOrEmpty(password))
        {
            LogNoAdmin(_logger, AdminPasswordVariable, AdminUsername);
            return;
        }
        if (!Credentials.IsValidNewPassword(password, out var reason))
            throw new InvalidOperationException($"{AdminPasswordVariable} {reason}");
        var hash = await _hasher.HashAsync(password, cancellationToken).ConfigureAwait(false);
        switch (await _users.SeedAdminAsync(AdminUsername, hash, cancellationToken).ConfigureAwait(false))
        {
            case AdminSeedOutcome.Created:
                LogAdminCreated(_logger, AdminUsername, AdminPasswordVariable);
                break;
            case AdminSeedOutcome.Reset:
                LogAdminReset(_logger, AdminUsername, AdminPasswordVariable);
                break;
            case AdminSeedOutcome.AlreadyPresent:
                break;
        }
    }

    /// <summary>As the migrator does: PostgreSQL may come back; a rejected statement is not retried.</summary>
    private async Task RetryWhileUnreachableAsync(Func<CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await step(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                LogUnreachable(_logger, delay.TotalSeconds, ex);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 5));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Access tokens are signed with the key from {Source} (kid {KeyId})")]
    private static partial void LogKey(ILogger logger, string source, string? keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created user '{Username}' with role admin from {Variable}")]
    private static partial void LogAdminCreated(ILogger logger, string username, string variable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No enabled admin existed: user '{Username}' is admin again, enabled, with the password from {Variable}")]
    private static partial void LogAdminReset(ILogger logger, string username, string variable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "There is no enabled admin, so nobody can manage users: set {Variable} to a password of at least 12 characters and restart to create user '{Username}' (docs/auth.md)")]
    private static partial void LogNoAdmin(ILogger logger, string variable, string username);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scope:Auth:AllowRegistration is true: anyone who reaches the API can create a viewer account")]
    private static partial void LogRegistrationOpen(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL is unreachable for authentication start-up; retrying in {DelaySeconds} s")]
    private static partial void LogUnreachable(ILogger logger, double delaySeconds, Exception exception);
}
