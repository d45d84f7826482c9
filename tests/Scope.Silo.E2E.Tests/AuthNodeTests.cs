using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// Issue 11 on a real node: the seeded admin, login, refresh rotation with reuse detection, logout,
/// the rate limit on failed logins, registration, roles on /api/v1/users, and every kind of bad
/// access token refused on a protected route with an RFC 7807 answer. The node's signing key is set
/// in its configuration so that the tests can forge tokens with it (by hand: HS256 is three lines).
/// Each test talks from its own loopback address (127.0.0.N), so that the per-address failure count
/// of one test never throttles another; node.Http is not used (it carries the admin's token).
/// </summary>
public sealed class AuthNodeTests(AuthNodeTests.AuthNode node) : IClassFixture<AuthNodeTests.AuthNode>
{
    public sealed class AuthNode : ScopeNode
    {
        public static readonly byte[] Key = SHA256.HashData("scope e2e signing key"u8);

        protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
        {
            ["SCOPE__Collector__Enabled"] = "false",
            ["SCOPE__Auth__AllowRegistration"] = "true",
            ["SCOPE__Auth__SigningKey"] = Convert.ToBase64String(Key),
        };
    }

    private const string Issuer = "scope";
    private const string Audience = "scope-api";

    /// <summary>A client whose connections come from 127.0.0.<paramref name="octet"/>, without any default header.</summary>
    private HttpClient Client(int octet)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.0.{octet}"), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = node.Api, Timeout = TimeSpan.FromSeconds(30) };
    }

    private sealed record Answer(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)
    {
        public string? ContentType => Response.Content.Headers.ContentType?.MediaType;

        public string Text => $"{(int)Status} {Body}";
    }

    private static async Task<Answer> Send(HttpClient client, HttpMethod method, string path, object? body = null, string? bearer = null, string? raw = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (raw is not null)
            request.Content = new StringContent(raw, Encoding.UTF8, "application/json");
        else if (body is not null)
            request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        if (bearer is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new Answer(response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default, response);
    }

    private static Task<Answer> Login(HttpClient client, string username, string password) =>
        Send(client, HttpMethod.Post, "/api/v1/auth/login", new { username, password });

    private static Task<Answer> Refresh(HttpClient client, string token) =>
        Send(client, HttpMethod.Post, "/api/v1/auth/refresh", new { refresh_token = token });

    private static Task<Answer> Me(HttpClient client, string? bearer) => Send(client, HttpMethod.Get, "/api/v1/auth/me", bearer: bearer);

    private async Task<string> AdminToken(HttpClient client)
    {
        var r = await Login(client, "admin", node.AdminPassword);
        Assert.True(r.Status == HttpStatusCode.OK, r.Text);
        return r.Body.GetProperty("access_token").GetString()!;
    }

    private static void AssertProblem(Answer a, HttpStatusCode status)
    {
        Assert.True(a.Status == status, $"expected {(int)status}, got {a.Text}");
        Assert.Equal("application/problem+json", a.ContentType);
        Assert.Equal((int)status, a.Body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(a.Body.GetProperty("title").GetString()));
    }

    [Fact]
    public async Task The_seeded_admin_logs_in_and_its_password_is_never_logged()
    {
        using var client = Client(2);
        var r = await Login(client, "admin", node.AdminPassword);
        Assert.True(r.Status == HttpStatusCode.OK, r.Text + "\n" + node.Log);
        Assert.Equal("Bearer", r.Body.GetProperty("token_type").GetString());
        Assert.Equal("admin", r.Body.GetProperty("role").GetString());
        Assert.Equal(600, r.Body.GetProperty("expires_in").GetInt32());
        Assert.Matches("^[A-Za-z0-9_-]{43}$", r.Body.GetProperty("refresh_token").GetString());
        Assert.True(r.Response.Headers.CacheControl?.NoStore);

        var me = await Me(client, r.Body.GetProperty("access_token").GetString());
        Assert.True(me.Status == HttpStatusCode.OK, me.Text);
        Assert.Equal("admin", me.Body.GetProperty("username").GetString());
        Assert.Equal("admin", me.Body.GetProperty("role").GetString());

        // Case does not matter in a username.
        Assert.Equal(HttpStatusCode.OK, (await Login(client, "ADMIN", node.AdminPassword)).Status);
        Assert.Contains("Created user 'admin' with role admin from SCOPE_ADMIN_PASSWORD", node.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(node.AdminPassword, node.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_and_an_unknown_user_get_the_same_401_problem()
    {
        using var client = Client(3);
        var wrong = await Login(client, "admin", "not the admin password");
        var unknown = await Login(client, "nobody-at-all", "not the admin password");
        AssertProblem(wrong, HttpStatusCode.Unauthorized);
        AssertProblem(unknown, HttpStatusCode.Unauthorized);
        Assert.Equal(wrong.Body.GetProperty("detail").GetString(), unknown.Body.GetProperty("detail").GetString());
        Assert.False(wrong.Body.TryGetProperty("access_token", out _));
    }

    [Fact]
    public async Task A_missing_or_malformed_body_gets_a_400_naming_the_field()
    {
        using var client = Client(4);
        var notJson = await Send(client, HttpMethod.Post, "/api/v1/auth/login", raw: "username=admin");
        AssertProblem(notJson, HttpStatusCode.BadRequest);
        var empty = await Send(client, HttpMethod.Post, "/api/v1/auth/login", raw: "");
        AssertProblem(empty, HttpStatusCode.BadRequest);
        var noPassword = await Send(client, HttpMethod.Post, "/api/v1/auth/login", new { username = "admin" });
        AssertProblem(noPassword, HttpStatusCode.BadRequest);
        Assert.True(noPassword.Body.GetProperty("errors").TryGetProperty("password", out _), noPassword.Text);
        var badName = await Login(client, "no spaces allowed", "whatever password");
        Assert.True(badName.Body.GetProperty("errors").TryGetProperty("username", out _), badName.Text);
        var extra = await Send(client, HttpMethod.Post, "/api/v1/auth/refresh", new { refresh_token = "x", keep = true });
        AssertProblem(extra, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Refresh_rotates_and_a_reused_token_revokes_the_whole_family()
    {
        using var client = Client(5);
        var login = await Login(client, "admin", node.AdminPassword);
        var first = login.Body.GetProperty("refresh_token").GetString()!;

        var r1 = await Refresh(client, first);
        Assert.True(r1.Status == HttpStatusCode.OK, r1.Text);
        var second = r1.Body.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(first, second);
        Assert.Equal("admin", r1.Body.GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Me(client, r1.Body.GetProperty("access_token").GetString())).Status);

        var r2 = await Refresh(client, second);
        Assert.True(r2.Status == HttpStatusCode.OK, r2.Text);
        var third = r2.Body.GetProperty("refresh_token").GetString()!;

        // The first token again: a thief's copy. The family goes, the newest token with it.
        var replay = await Refresh(client, first);
        AssertProblem(replay, HttpStatusCode.Unauthorized);
        Assert.Contains("already used", replay.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        AssertProblem(await Refresh(client, third), HttpStatusCode.Unauthorized);
        AssertProblem(await Refresh(client, "never-issued"), HttpStatusCode.Unauthorized);
        Assert.Contains("its session is revoked", node.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logout_revokes_the_family_and_an_unknown_token_is_401()
    {
        using var client = Client(6);
        var login = await Login(client, "admin", node.AdminPassword);
        var first = login.Body.GetProperty("refresh_token").GetString()!;
        var second = (await Refresh(client, first)).Body.GetProperty("refresh_token").GetString()!;

        var access = login.Body.GetProperty("access_token").GetString()!;

        // Logout is no public route: without an access token it is refused and revokes nothing.
        AssertProblem(await Send(client, HttpMethod.Post, "/api/v1/auth/logout", new { refresh_token = second }), HttpStatusCode.Unauthorized);
        var logout = await Send(client, HttpMethod.Post, "/api/v1/auth/logout", new { refresh_token = second }, bearer: access);
        Assert.Equal(HttpStatusCode.NoContent, logout.Status);
        AssertProblem(await Refresh(client, second), HttpStatusCode.Unauthorized);
        // Known, if revoked: still 204. Unknown: 401.
        Assert.Equal(HttpStatusCode.NoContent, (await Send(client, HttpMethod.Post, "/api/v1/auth/logout", new { refresh_token = first }, bearer: access)).Status);
        AssertProblem(await Send(client, HttpMethod.Post, "/api/v1/auth/logout", new { refresh_token = "never-issued" }, bearer: access), HttpStatusCode.Unauthorized);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A JWT as SCOPE would issue it, with <paramref name="change"/> applied to the payload, signed HS256 with <paramref name="key"/>.</summary>
    private static string Forge(byte[] key, Action<JsonObject>? change = null, string alg = "HS256", int expiresInSeconds = 300)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = Audience,
            ["sub"] = "1",
            ["name"] = "admin",
            ["role"] = "admin",
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["iat"] = now - 600,
            ["nbf"] = now - 600,
            ["exp"] = now + expiresInSeconds,
        };
        change?.Invoke(payload);
        var header = new JsonObject { ["alg"] = alg, ["typ"] = "JWT" };
        var signed = B64(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        if (alg == "none")
            return signed + ".";
        return signed + "." + B64(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signed)));
    }

    [Fact]
    public async Task A_protected_route_refuses_every_bad_access_token_with_a_401_problem()
    {
        using var client = Client(7);
        // The forger's own token with the right key is accepted: the refusals below are about what was changed.
        var good = await Me(client, Forge(AuthNode.Key));
        Assert.True(good.Status == HttpStatusCode.OK, good.Text);

        var none = await Me(client, null);
        AssertProblem(none, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", none.Response.Headers.WwwAuthenticate.Single().Scheme);

        var expired = await Me(client, Forge(AuthNode.Key, expiresInSeconds: -300));
        AssertProblem(expired, HttpStatusCode.Unauthorized);
        Assert.Contains("expired", expired.Body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var bad = new Dictionary<string, string>
        {
            ["garbage"] = "not.a.token",
            ["other key"] = Forge(SHA256.HashData("another key"u8)),
            ["alg none"] = Forge(AuthNode.Key, alg: "none"),
            ["HS512 with the same key"] = Forge512(),
            ["wrong audience"] = Forge(AuthNode.Key, p => p["aud"] = "someone-else"),
            ["wrong issuer"] = Forge(AuthNode.Key, p => p["iss"] = "evil"),
            ["no expiry"] = Forge(AuthNode.Key, p => p.Remove("exp")),
            ["not yet valid"] = Forge(AuthNode.Key, p => p["nbf"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 300),
            ["tampered role"] = TamperRole(Forge(AuthNode.Key, p => p["role"] = "viewer")),
        };
        foreach (var (what, token) in bad)
        {
            var r = await Me(client, token);
            Assert.True(r.Status == HttpStatusCode.Unauthorized, $"{what}: {r.Text}");
            AssertProblem(r, HttpStatusCode.Unauthorized);
            Assert.Contains("invalid_token", r.Response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
    }

    /// <summary>Right key, but HS512: only HS256 is accepted.</summary>
    private static string Forge512()
    {
        var token = Forge(AuthNode.Key, alg: "HS512");
        var signed = token[..token.LastIndexOf('.')];
        return signed + "." + B64(HMACSHA512.HashData(AuthNode.Key, Encoding.ASCII.GetBytes(signed)));
    }

    /// <summary>The payload swapped for one saying admin, the viewer's signature kept.</summary>
    private static string TamperRole(string viewerToken)
    {
        var parts = viewerToken.Split('.');
        var payload = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1].Replace('-', '+').Replace('_', '/')))))!.AsObject();
        payload["role"] = "admin";
        return parts[0] + "." + B64(Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + parts[2];
    }

    private static string Pad(string s) => s + new string('=', (4 - s.Length % 4) % 4);

    [Fact]
    public async Task Thirty_seconds_of_clock_skew_are_forgiven_and_no_more()
    {
        using var client = Client(8);
        var r20 = await Me(client, Forge(AuthNode.Key, expiresInSeconds: -20));
        Assert.True(r20.Status == HttpStatusCode.OK, "expired 20 s ago: " + r20.Text);
        var r40 = await Me(client, Forge(AuthNode.Key, expiresInSeconds: -40));
        AssertProblem(r40, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Ten_failed_logins_for_a_user_refuse_the_eleventh_even_with_the_right_password()
    {
        using var admin = Client(9);
        var token = await AdminToken(admin);
        var create = await Send(admin, HttpMethod.Post, "/api/v1/users", new { username = "guessed", password = "the real password", role = "viewer" }, token);
        Assert.True(create.Status == HttpStatusCode.Created, create.Text);

        using var attacker = Client(20);
        for (int i = 0; i < 10; i++)
            AssertProblem(await Login(attacker, "guessed", $"guess number {i}"), HttpStatusCode.Unauthorized);
        var eleventh = await Login(attacker, "guessed", "the real password");
        AssertProblem(eleventh, HttpStatusCode.TooManyRequests);
        var retry = eleventh.Response.Headers.RetryAfter?.Delta;
        Assert.True(retry is { TotalSeconds: > 0 and <= 60 }, $"Retry-After: {eleventh.Response.Headers.RetryAfter}");

        // The username is held from anywhere; other users are not.
        using var elsewhere = Client(21);
        AssertProblem(await Login(elsewhere, "guessed", "the real password"), HttpStatusCode.TooManyRequests);
        Assert.Equal(HttpStatusCode.OK, (await Login(elsewhere, "admin", node.AdminPassword)).Status);
    }

    [Fact]
    public async Task Ten_failed_logins_from_an_address_refuse_every_login_from_it()
    {
        using var sprayer = Client(30);
        for (int i = 0; i < 10; i++)
            AssertProblem(await Login(sprayer, $"spray{i}", "some password here"), HttpStatusCode.Unauthorized);
        AssertProblem(await Login(sprayer, "admin", node.AdminPassword), HttpStatusCode.TooManyRequests);
        using var other = Client(31);
        Assert.Equal(HttpStatusCode.OK, (await Login(other, "admin", node.AdminPassword)).Status);
    }

    [Fact]
    public async Task Registration_makes_a_viewer_who_may_read_but_not_manage_users()
    {
        using var client = Client(10);
        var created = await Send(client, HttpMethod.Post, "/api/v1/auth/register", new { username = "Reader.One", password = "a long enough password" });
        Assert.True(created.Status == HttpStatusCode.Created, created.Text);
        Assert.Equal("viewer", created.Body.GetProperty("role").GetString());
        Assert.Equal("/api/v1/users/Reader.One", created.Response.Headers.Location?.ToString());

        AssertProblem(await Send(client, HttpMethod.Post, "/api/v1/auth/register", new { username = "reader.one", password = "a long enough password" }), HttpStatusCode.Conflict);
        var weak = await Send(client, HttpMethod.Post, "/api/v1/auth/register", new { username = "reader.two", password = "short" });
        AssertProblem(weak, HttpStatusCode.BadRequest);
        Assert.Contains("at least 12", weak.Body.GetProperty("errors").GetProperty("password")[0].GetString(), StringComparison.Ordinal);

        var login = await Login(client, "reader.one", "a long enough password");
        Assert.True(login.Status == HttpStatusCode.OK, login.Text);
        Assert.Equal("viewer", login.Body.GetProperty("role").GetString());
        var token = login.Body.GetProperty("access_token").GetString();
        Assert.Equal("Reader.One", (await Me(client, token)).Body.GetProperty("username").GetString());
        var forbidden = await Send(client, HttpMethod.Get, "/api/v1/users", bearer: token);
        AssertProblem(forbidden, HttpStatusCode.Forbidden);
        AssertProblem(await Send(client, HttpMethod.Get, "/api/v1/users"), HttpStatusCode.Unauthorized);
        // Reading needs any role.
        Assert.Equal(HttpStatusCode.OK, (await Send(client, HttpMethod.Get, "/api/v1/machines", bearer: token)).Status);
    }

    [Fact]
    public async Task An_admin_manages_users_but_cannot_remove_the_last_admin()
    {
        using var client = Client(11);
        var token = await AdminToken(client);
        var list = await Send(client, HttpMethod.Get, "/api/v1/users", bearer: token);
        Assert.True(list.Status == HttpStatusCode.OK, list.Text);
        Assert.Contains(list.Body.EnumerateArray(), u => u.GetProperty("username").GetString() == "admin" && u.GetProperty("role").GetString() == "admin"
            && !u.GetProperty("disabled").GetBoolean());

        var op = await Send(client, HttpMethod.Post, "/api/v1/users", new { username = "ops", password = "operator password", role = "operator" }, token);
        Assert.True(op.Status == HttpStatusCode.Created, op.Text);
        Assert.Equal("operator", op.Body.GetProperty("role").GetString());
        var bad = await Send(client, HttpMethod.Post, "/api/v1/users", new { username = "x y", password = "short", role = "root" }, token);
        AssertProblem(bad, HttpStatusCode.BadRequest);
        Assert.Equal(3, bad.Body.GetProperty("errors").EnumerateObject().Count());

        // The only admin can be neither demoted nor disabled.
        AssertProblem(await Send(client, HttpMethod.Patch, "/api/v1/users/admin", new { role = "operator" }, token), HttpStatusCode.Conflict);
        AssertProblem(await Send(client, HttpMethod.Patch, "/api/v1/users/admin", new { disabled = true }, token), HttpStatusCode.Conflict);
        AssertProblem(await Send(client, HttpMethod.Patch, "/api/v1/users/ghost", new { disabled = true }, token), HttpStatusCode.NotFound);
        AssertProblem(await Send(client, HttpMethod.Patch, "/api/v1/users/ops", new { disable = true }, token), HttpStatusCode.BadRequest);

        // An operator is no admin.
        var opLogin = await Login(client, "ops", "operator password");
        var opToken = opLogin.Body.GetProperty("access_token").GetString();
        AssertProblem(await Send(client, HttpMethod.Get, "/api/v1/users", bearer: opToken), HttpStatusCode.Forbidden);

        // Disabled: the refresh token dies, and so does the password.
        var disabled = await Send(client, HttpMethod.Patch, "/api/v1/users/ops", new { disabled = true }, token);
        Assert.True(disabled.Status == HttpStatusCode.OK, disabled.Text);
        Assert.True(disabled.Body.GetProperty("disabled").GetBoolean());
        AssertProblem(await Refresh(client, opLogin.Body.GetProperty("refresh_token").GetString()!), HttpStatusCode.Unauthorized);
        AssertProblem(await Login(client, "ops", "operator password"), HttpStatusCode.Unauthorized);

        // Promoted and enabled again, ops is a second admin: now the first may step down.
        var promoted = await Send(client, HttpMethod.Patch, "/api/v1/users/ops", new { disabled = false, role = "admin" }, token);
        Assert.True(promoted.Status == HttpStatusCode.OK, promoted.Text);
        var opsAdmin = (await Login(client, "ops", "operator password")).Body.GetProperty("access_token").GetString();
        var demoted = await Send(client, HttpMethod.Patch, "/api/v1/users/admin", new { role = "operator" }, opsAdmin);
        Assert.True(demoted.Status == HttpStatusCode.OK, demoted.Text);
        // And back, so that the other tests find admin an admin.
        Assert.Equal(HttpStatusCode.OK, (await Send(client, HttpMethod.Patch, "/api/v1/users/admin", new { role = "admin" }, opsAdmin)).Status);
    }
}
