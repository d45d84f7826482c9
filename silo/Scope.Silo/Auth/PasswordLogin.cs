namespace Scope.Silo.Auth;

/// <summary>How one password login went; <see cref="User"/> is set only when <see cref="Outcome"/> is <see cref="LoginOutcome.Ok"/>.</summary>
internal sealed record LoginAttempt(LoginOutcome Outcome, UserRecord? User, int RetryAfterSeconds);

internal enum LoginOutcome
{
    Ok,

    /// <summary>Unknown user, wrong password or disabled user: callers must not say which.</summary>
    BadCredentials,

    /// <summary>Too many failures for the username or the address; nothing was checked.</summary>
    Throttled,
}

/// <summary>
/// The username and password check behind both the REST login (which then issues tokens) and the
/// console's (which then sets its cookie), so that throttling, timing and auditing cannot differ
/// between the two doors.
/// </summary>
internal sealed class PasswordLogin
{
    private readonly UserStore _users;
    private readonly PasswordHasher _hasher;
    private readonly LoginRateLimiter _limiter;
    private readonly AuthAudit _audit;

    public PasswordLogin(UserStore users, PasswordHasher hasher, LoginRateLimiter limiter, AuthAudit audit)
    {
        _users = users;
        _hasher = hasher;
        _limiter = limiter;
        _audit = audit;
    }

    /// <summary>Checks an already well-formed username and password from <paramref name="address"/> (the TCP peer).</summary>
    public async Task<LoginAttempt> TryAsync(string username, string password, string address, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        var wait = _limiter.RetryAfter(username, address);
        if (wait > TimeSpan.Zero)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            _audit.LoginThrottled(username, address, seconds);
            return new LoginAttempt(LoginOutcome.Throttled, null, seconds);
        }

        var user = await _users.FindAsync(username, ct).ConfigureAwait(false);
        bool ok;
        if (user is null)
        {
            await _hasher.VerifyNobodyAsync(password, ct).ConfigureAwait(false);
            ok = false;
        }
        else
        {
            // The hash is checked even for a disabled user, so that timing does not tell which users are disabled.
            ok = await _hasher.VerifyAsync(password, user.PasswordHash, ct).ConfigureAwait(false) && !user.Disabled;
        }
        if (!ok)
        {
            _limiter.RecordFailure(username, address);
            _audit.LoginFailed(username, address);
            return new LoginAttempt(LoginOutcome.BadCredentials, null, 0);
        }

        _limiter.RecordSuccess(username);
        if (PasswordHasher.NeedsRehash(user!.PasswordHash))
            await _users.SetPasswordHashAsync(user.Id, await _hasher.HashAsync(password, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
        _audit.LoggedIn(user.Username, address);
        return new LoginAttempt(LoginOutcome.Ok, user, 0);
    }
}
