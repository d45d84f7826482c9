using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// Signs a node's requests in as its seeded admin (SCOPE_ADMIN_PASSWORD): logs in on first use and
/// again before the 10-minute access token runs out, so suites written before authentication keep
/// calling the API as they did. /health is public and goes without. Tests of authentication itself
/// use their own client.
/// </summary>
public sealed class AdminToken(Uri api, string password) : DelegatingHandler(new HttpClientHandler())
{
    private static readonly TimeSpan Renew = TimeSpan.FromMinutes(5);

    /// <summary>Inside the 10-minute lifetime: a token this old is still used when signing in again fails (PostgreSQL down).</summary>
    private static readonly TimeSpan Usable = TimeSpan.FromMinutes(9);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTime _at;

    public const string User = "admin";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.Authorization is null && request.RequestUri?.AbsolutePath is not "/health" && await Token(cancellationToken) is { } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken);
    }

    /// <summary>Forgets the token (after a restart that changed users, say).</summary>
    public void Reset() => _token = null;

    /// <summary>Signs in now, so that calls made while PostgreSQL is away (outage tests) still carry a token.</summary>
    public async Task WarmAsync(CancellationToken ct = default)
    {
        if (await Token(ct) is null)
            throw new InvalidOperationException($"cannot sign in to {api} as {User}");
    }

    private async Task<string?> Token(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_token is not null && DateTime.UtcNow - _at < Renew)
                return _token;
            using var login = new HttpRequestMessage(HttpMethod.Post, new Uri(api, "/api/v1/auth/login"))
            {
                Content = JsonContent.Create(new { username = User, password }),
            };
            using var r = await base.SendAsync(login, ct);
            if (!r.IsSuccessStatusCode)
                return Fallback(); // the next call tries again
            using var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync(ct));
            _token = body.RootElement.GetProperty("access_token").GetString();
            _at = DateTime.UtcNow;
            return _token;
        }
        catch (HttpRequestException)
        {
            return Fallback();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The last token while it is still valid; otherwise none, and the call fails as it will.</summary>
    private string? Fallback() => _token is not null && DateTime.UtcNow - _at < Usable ? _token : null;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _gate.Dispose();
        base.Dispose(disposing);
    }
}
