using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace Scope.Silo.E2E.Tests;

/// <summary>
/// The REST API as a whole, driven by its own route table: /openapi/v1.json is generated from the
/// endpoints the silo maps, each operation carrying the least role its authorization metadata admits
/// (x-scope-role). Every operation is called by nobody, a viewer, an operator and an admin and must
/// answer exactly as its role says; then every parameter of every operation gets a corpus of bad
/// input, and every body-taking operation bad bodies: never a 5xx, always RFC 7807, nothing created.
/// </summary>
public sealed class ApiContractTests(ApiContractTests.ApiNode node, ITestOutputHelper output) : IClassFixture<ApiContractTests.ApiNode>
{
    public sealed class ApiNode : ScopeNode
    {
        protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
        {
            ["SCOPE__Collector__Enabled"] = "false",
        };
    }

    private static readonly string[] Principals = ["nobody", "viewer", "operator", "admin"];
    private static readonly Dictionary<string, int> Rank = new() { ["public"] = 0, ["viewer"] = 1, ["operator"] = 2, ["admin"] = 3 };

    /// <summary>What the issue fixes, so that a policy attached to the wrong route cannot pass because the document agrees with it.</summary>
    private static readonly Dictionary<string, string> Known = new()
    {
        ["POST /api/v1/auth/login"] = "public",
        ["POST /api/v1/auth/refresh"] = "public",
        ["POST /api/v1/auth/register"] = "public",
        ["GET /api/v1/machines"] = "viewer",
        ["GET /api/v1/events"] = "viewer",
        ["GET /api/v1/traces"] = "viewer",
        ["GET /api/v1/tasks"] = "viewer",
        ["POST /api/v1/tasks"] = "operator",
        ["POST /api/v1/tasks/{id}/stop"] = "operator",
        ["GET /api/v1/users"] = "admin",
        ["POST /api/v1/users"] = "admin",
    };

    private sealed record Operation(string Method, string Path, string Role, IReadOnlyList<(string Name, string In)> Parameters, bool TakesBody);

    private async Task<List<Operation>> RouteTable()
    {
        using var anonymous = new HttpClient { BaseAddress = node.Api };
        using var r = await anonymous.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var ops = new List<Operation>();
        foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var op in path.Value.EnumerateObject())
            {
                var role = op.Value.TryGetProperty("x-scope-role", out var x) ? x.GetString()! : "missing";
                var ps = op.Value.TryGetProperty("parameters", out var list)
                    ? list.EnumerateArray().Select(p => (p.GetProperty("name").GetString()!, p.GetProperty("in").GetString()!)).ToList()
                    : [];
                ops.Add(new Operation(op.Name.ToUpperInvariant(), path.Name, role, ps, op.Name is "post" or "patch" or "put"));
            }
        }
        return ops;
    }

    private async Task<string> TokenFor(string role)
    {
        if (role == "admin")
            return await Login("admin", node.AdminPassword);
        var name = $"{role}-{Guid.NewGuid().ToString("N")[..8]}";
        var password = "pw-" + Guid.NewGuid().ToString("N");
        using var r = await node.Http.PostAsJsonAsync("/api/v1/users", new { username = name, password, role });
        Assert.True(r.StatusCode == HttpStatusCode.Created, $"create {role}: {r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        return await Login(name, password);
    }

    private async Task<string> Login(string user, string password)
    {
        using var anonymous = new HttpClient { BaseAddress = node.Api };
        using var r = await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { username = user, password });
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.IsSuccessStatusCode, $"login {user}: {r.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    private static string Fill(string path, string value = "x") =>
        System.Text.RegularExpressions.Regex.Replace(path, "\\{[^}]+\\}", Uri.EscapeDataString(value));

    private async Task<HttpResponseMessage> Send(string method, string url, string? token, string? body)
    {
        using var anonymous = new HttpClient { BaseAddress = node.Api, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(url, UriKind.Relative));
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return await anonymous.SendAsync(request);
    }

    [Fact]
    public async Task Every_route_admits_exactly_the_roles_its_metadata_names()
    {
        var ops = await RouteTable();
        output.WriteLine($"{ops.Count} operations in the route table");
        Assert.True(ops.Count >= 20, "the route table looks incomplete: " + string.Join(", ", ops.Select(o => $"{o.Method} {o.Path}")));
        Assert.DoesNotContain(ops, o => o.Role == "missing");
        foreach (var (route, role) in Known)
            Assert.Equal(role, Assert.Single(ops, o => $"{o.Method} {o.Path}" == route).Role);

        var tokens = new Dictionary<string, string?> { ["nobody"] = null };
        foreach (var p in Principals.Skip(1))
            tokens[p] = await TokenFor(p);

        var failures = new List<string>();
        foreach (var op in ops)
        {
            foreach (var who in Principals)
            {
                using var r = await Send(op.Method, Fill(op.Path), tokens[who], op.TakesBody ? "{}" : null);
                var status = (int)r.StatusCode;
                var allowed = op.Role == "public" || (who != "nobody" && Rank[who] >= Rank[op.Role]);
                var expected = allowed ? "neither 401 nor 403" : who == "nobody" ? "401" : "403";
                var ok = status < 500 && (allowed ? status is not (401 or 403) : status == (who == "nobody" ? 401 : 403));
                if (!ok)
                    failures.Add($"{op.Method} {op.Path} as {who} (needs {op.Role}): {status}, expected {expected}: {await r.Content.ReadAsStringAsync()}");
                else if (!allowed)
                    Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            }
        }
        output.WriteLine($"{ops.Count * Principals.Length} calls checked");
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // /metrics is no OpenAPI operation but is no public route either.
        using (var r = await Send("GET", "/metrics", null, null))
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var r = await Send("GET", "/metrics", tokens["viewer"], null))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        // Nor is a route nobody mapped a way around it.
        using (var r = await Send("GET", "/api/v1/no-such-route", null, null))
            Assert.True(r.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound, r.StatusCode.ToString());
    }

    private static readonly string[] Corpus =
    [
        "", " ", "-1", "0", "2147483648", "99999999999999999999", "1e309", "NaN", "-0", "abc", "x.y.z",
        "' OR '1'='1", "'; DROP TABLE scope.events; --", "\"; DELETE FROM scope.users; --", "../../../../etc/passwd",
        "%00", "\0", "<script>alert(1)</script>", "${jndi:ldap://example.invalid/a}", "😀🔥", "\u202e", new string('a', 2000),
        "2026-13-45T25:61:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "e2e-0.1.2", "m.-5.99999999999999999999",
        "0000000000000000000000000000000", "ffffffffffffffffffffffffffffffffff",
    ];

    private static readonly string[] BadBodies =
    [
        "", "null", "[]", "\"text\"", "42", "{", "{\"a\":", new string('[', 5000) + new string(']', 5000),
        "{\"username\": 7, \"password\": []}", "{\"machine_id\": {\"$ne\": 1}}", "{\"role\": \"root\", \"username\": \"x\", \"password\": \"short\"}",
        "{\"probes\": [\"" + new string('p', 100_000) + "\"]}", "{\"username\": \"a\\u0000b\", \"password\": \"x\\u0000y\", \"labels\": {\"k\\u0000\": \"v\\u0000\"}}", "{\"labels\": {\"\": \"\"}}", "{\"targets\": {\"pids\": [-1, 1e99]}}",
    ];

    private async Task<(long Tasks, long Users)> Counts()
    {
        var tasks = (await node.Http.GetFromJsonAsync<JsonElement>("/api/v1/tasks")).GetArrayLength();
        var users = (await node.Http.GetFromJsonAsync<JsonElement>("/api/v1/users")).GetArrayLength();
        return (tasks, users);
    }

    [Fact]
    public async Task Bad_input_to_every_route_gets_a_clear_4xx_problem_and_changes_nothing()
    {
        var ops = await RouteTable();
        var admin = await TokenFor("admin");
        var before = await Counts();
        var failures = new List<string>();
        var calls = 0;

        async Task Check(Operation op, string url, string? body, string what)
        {
            calls++;
            using var r = await Send(op.Method, url, admin, body);
            var status = (int)r.StatusCode;
            var type = r.Content.Headers.ContentType?.MediaType;
            if (status >= 500 || (status >= 400 && type != "application/problem+json"))
                failures.Add($"{op.Method} {url[..Math.Min(url.Length, 160)]} ({what}): {status} {type} {(await r.Content.ReadAsStringAsync())[..Math.Min(300, (int)(r.Content.Headers.ContentLength ?? 300))]}");
        }

        foreach (var op in ops)
        {
            foreach (var (name, location) in op.Parameters)
            {
                foreach (var value in Corpus)
                {
                    // Kestrel refuses a NUL in the path itself (400, before the app): checked below.
                    if (location == "path" && value.Contains('\0', StringComparison.Ordinal) || (location == "path" && value == "%00"))
                        continue;
                    var url = location == "path"
                        ? Fill(op.Path.Replace("{" + name + "}", Uri.EscapeDataString(value), StringComparison.Ordinal))
                        : $"{Fill(op.Path)}?{name}={Uri.EscapeDataString(value)}";
                    await Check(op, url, op.TakesBody ? "{}" : null, $"{name}={value[..Math.Min(value.Length, 20)]}");
                }
            }
            var names = op.Parameters.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            if (names.Contains("from") && names.Contains("to"))
                await Check(op, $"{Fill(op.Path)}?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z" + (names.Contains("machine") ? "&machine=x" : ""), null, "a huge range");
            if (names.Contains("limit"))
                await Check(op, $"{Fill(op.Path)}?limit=100000000", null, "an oversized page");
            if (op.TakesBody)
                foreach (var body in BadBodies)
                    await Check(op, Fill(op.Path), body, "body " + body[..Math.Min(body.Length, 24)]);
        }
        output.WriteLine($"{calls} bad requests sent to {ops.Count} operations");

        // What never reaches the app: a NUL in the path and a request line over Kestrel's 8 KiB are refused by the server.
        using (var r = await Send("GET", "/api/v1/processes/a%00b", admin, null))
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using (var r = await Send("GET", "/api/v1/events?machine=" + new string('a', 9000), admin, null))
            Assert.Equal(HttpStatusCode.RequestUriTooLong, r.StatusCode);
        Assert.True(failures.Count == 0, $"{failures.Count} of {calls}:\n" + string.Join("\n", failures.Take(40)));
        Assert.Equal(before, await Counts());

        // The silo survived all of it, and the database still has its tables.
        using var health = await node.Http.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(node.SiloRunning);
    }
}
