using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Scope.Silo.Auth;

namespace Scope.Silo.Console;

/// <summary>
/// A circuit lives over one WebSocket and makes no HTTP request that would let the cookie check the
/// user again, so the circuit does it itself every minute: a user disabled, removed or given another
/// role is signed out of open pages within that minute.
/// </summary>
internal sealed class ConsoleSessionRevalidator(ILoggerFactory loggers, UserStore users) : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var principal = authenticationState.User;
        if (principal.Identity?.Name is not { } name)
            return false;
        var user = await users.FindAsync(name, cancellationToken).ConfigureAwait(false);
        return user is { Disabled: false } && user.Role == principal.FindFirst(AccessTokenIssuer.RoleClaim)?.Value;
    }
}
