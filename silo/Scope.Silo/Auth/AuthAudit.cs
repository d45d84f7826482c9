namespace Scope.Silo.Auth;

/// <summary>What the auth endpoints log: who signed in, who failed, and what looks like token theft. Never a password or a token.</summary>
internal sealed partial class AuthAudit
{
    private readonly ILogger<AuthAudit> _logger;

    public AuthAudit(ILogger<AuthAudit> logger)
    {
        _logger = logger;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "User '{Username}' logged in from {Address}")]
    public partial void LoggedIn(string username, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed login for '{Username}' from {Address}")]
    public partial void LoginFailed(string username, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Login for '{Username}' from {Address} refused for {RetryAfterSeconds} s: too many failures")]
    public partial void LoginThrottled(string username, string address, int retryAfterSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A used refresh token of user '{Username}' was presented from {Address}: its session is revoked (a copy of the token may have been stolen)")]
    public partial void RefreshReused(string username, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "User '{Username}' created with role {Role} by {Actor}")]
    public partial void UserCreated(string username, string role, string actor);

    [LoggerMessage(Level = LogLevel.Information, Message = "User '{Username}' changed by {Actor}: role {Role}, disabled {Disabled}, password changed {PasswordChanged}")]
    public partial void UserChanged(string username, string actor, string role, bool disabled, bool passwordChanged);
}
