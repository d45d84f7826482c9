using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Scope.Nginx.Tests;

/// <summary>
/// Issue 13 against <see cref="NginxFront"/>: the API and the console over https through nginx, the
/// redirect from http and HSTS, X-Forwarded-* believed from the configured proxy only, and the loss
/// of the silo holding a console session: the API keeps answering through the other silo, and the
/// session carries on there without signing in again (shared Data Protection keys). Every step
/// prints how long it took; no test asserts on a duration.
/// </summary>
[Collection("nginx front")]
public sealed class NginxTests(NginxFront front, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly Stopwatch _step = Stopwatch.StartNew();
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    private static string Artifacts { get; } = Directory.CreateDirectory(
        Environment.GetEnvironmentVariable("SCOPE_TEST_ARTIFACTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;

    public async Task InitializeAsync()
    {
        if (!front.SetupPrinted)
        {
            front.SetupPrinted = true;
            foreach (var (step, took) in front.SetupTimes)
                output.WriteLine($"[{took.TotalSeconds,6:0.0} s] setup: {step}");
        }
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox"],
        });
        await front.BothUpAsync();
        Step("both silos up");
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    private void Step(string what)
    {
        output.WriteLine($"[{_step.Elapsed.TotalSeconds,6:0.0} s] {what}");
        _step.Restart();
    }

    [Fact]
    public async Task Over_https_the_api_answers_and_the_console_signs_in_in_chromium()
    {
        using var http = Clients.Create(front.Https, caFile: front.Site.CaFile);
        var token = await LoginAsync(http, "admin", front.AdminPassword);
        Step("POST /api/v1/auth/login through nginx: tokens (the certificate verified against the development CA)");

        using (var me = await SendAsync(http, HttpMethod.Get, "/api/v1/auth/me", token))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            var body = await me.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("admin", body.GetProperty("username").GetString());
        }
        using (var machines = await SendAsync(http, HttpMethod.Get, "/api/v1/machines", token))
            Assert.Equal(HttpStatusCode.OK, machines.StatusCode);
        using (var anonymous = await http.GetAsync(new Uri("/api/v1/machines", UriKind.Relative)))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Step("the API with the token: /auth/me, /machines; without it: 401");

        // The trace route has a location of its own (no buffering, no temporary file): it still reaches a silo.
        var from = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("O", CultureInfo.InvariantCulture);
        var to = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        using (var trace = await SendAsync(http, HttpMethod.Get, $"/api/v1/traces?machine=nginx-suite&from={Uri.EscapeDataString(from)}&to={Uri.EscapeDataString(to)}", token))
        {
            Assert.Equal(HttpStatusCode.OK, trace.StatusCode);
            Assert.Contains("scope-nginx-suite.pftrace", trace.Content.Headers.ContentDisposition?.ToString() ?? "", StringComparison.Ordinal);
        }
        Step("GET /api/v1/traces streamed through its own location");

        var (context, page, logins, sockets) = await OpenConsoleAsync();
        await SignInAsync(page, "admin", front.AdminPassword);
        await Assertions.Expect(page.GetByTestId("whoami")).ToContainTextAsync("admin");
        await Assertions.Expect(page.GetByTestId("machines")).ToBeVisibleAsync();
        Assert.Equal(1, Count(logins));
        Step("chromium: /console/machines sent to the login, signed in, machines page shown");

        // The circuit's WebSocket went through nginx's upgrade and carries frames both ways.
        await WaitAsync(() => Snapshot(sockets).Any(s => s.Url.Contains("/_blazor", StringComparison.Ordinal) && s.Renders > 0), "the circuit's first render batch over /_blazor");
        Step("Blazor circuit: the /_blazor WebSocket is open through nginx and carries the circuit's render batches");

        // X-Forwarded-Proto reached the silo: it made its cookie Secure, as it does on https only.
        var cookies = await context.CookiesAsync();
        var session = cookies.Single(c => c.Name == "scope.console");
        Assert.True(session.Secure, "the console cookie is not Secure: the silo did not believe X-Forwarded-Proto");
        Assert.True(session.HttpOnly);
        var route = cookies.Single(c => c.Name == "scope_route");
        Assert.True(route.Secure && route.HttpOnly);
        Assert.Matches("^[0-9a-f]{32}$", route.Value);
        await Shot(page, "nginx-01-machines");
        Step("cookies: scope.console Secure and HttpOnly (https as the silo saw it); scope_route set by nginx");
        await context.DisposeAsync();
    }

    [Fact]
    public async Task Plain_http_is_redirected_to_https_and_https_answers_carry_HSTS()
    {
        using var plain = Clients.Create(front.Http);
        foreach (var (method, path) in new[] { ("GET", "/console/machines?x=1&y=%2F"), ("GET", "/api/v1/machines"), ("GET", "/health"), ("POST", "/api/v1/auth/login") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
            if (method == "POST")
                request.Content = JsonContent.Create(new { username = "admin", password = "not sent in the clear" });
            using var r = await plain.SendAsync(request);
            Assert.Equal(HttpStatusCode.MovedPermanently, r.StatusCode);
            Assert.Equal(new Uri(front.Https, path), r.Headers.Location);
            // HSTS over http means nothing to a browser, and nginx sends none.
            Assert.False(r.Headers.Contains("Strict-Transport-Security"));
        }
        Assert.DoesNotContain(front.Silos, s => s.Log.Contains("not sent in the clear", StringComparison.Ordinal));
        Step("http: GET and POST answered 301 to https, same path and query, without HSTS");

        using var https = Clients.Create(front.Https, caFile: front.Site.CaFile);
        foreach (var (path, status) in new[]
        {
            ("/health", HttpStatusCode.OK),
            ("/api/v1/machines", HttpStatusCode.Unauthorized),
            ("/console/machines", HttpStatusCode.Found),
            ("/_framework/blazor.web.js", HttpStatusCode.OK),
        })
        {
            using var r = await https.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(status, r.StatusCode);
            Assert.True(r.Headers.TryGetValues("Strict-Transport-Security", out var hsts), $"no HSTS on {path}");
            Assert.Equal("max-age=31536000", Assert.Single(hsts));
        }
        Step("https: HSTS max-age=31536000 on API, console, static and error answers (200, 302, 401)");
    }

    [Fact]
    public async Task Forwarded_headers_are_believed_from_the_configured_proxy_only()
    {
        var limit = NginxFront.LoginFailuresPerMinute;
        // To silo B directly, from 127.0.0.3: not in Scope:Proxy, so what it claims is ignored.
        using var stranger = Clients.Create(front.B.Api, from: "127.0.0.3");
        for (int i = 0; i < limit; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, await FailedLoginAsync(stranger, $"198.51.100.{(10 + i).ToString(CultureInfo.InvariantCulture)}"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await FailedLoginAsync(stranger, "198.51.100.20"));
        Step($"from 127.0.0.3 (not a configured proxy): {limit} failures claiming {limit} addresses, then 429 claiming a fourth: the silo counted 127.0.0.3");

        using (var r = await GetWithProtoAsync(stranger, "/console/machines"))
            Assert.StartsWith("http://", r.Headers.Location?.ToString() ?? "", StringComparison.Ordinal);
        Step("from 127.0.0.3, X-Forwarded-Proto: https is ignored (the login redirect stays http://)");

        // From 127.0.0.1, the configured proxy: the forwarded address is the client.
        using var proxy = Clients.Create(front.B.Api, from: "127.0.0.1");
        for (int i = 0; i < limit; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, await FailedLoginAsync(proxy, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await FailedLoginAsync(proxy, "203.0.113.7"));
        Assert.Equal(HttpStatusCode.Unauthorized, await FailedLoginAsync(proxy, "203.0.113.8"));
        Assert.Equal(HttpStatusCode.Unauthorized, await FailedLoginAsync(proxy, null));
        Step($"from 127.0.0.1 (configured): {limit} failures for 203.0.113.7 throttle it alone; 203.0.113.8 and 127.0.0.1 itself still get 401");

        using (var r = await GetWithProtoAsync(proxy, "/console/machines"))
            Assert.StartsWith("https://", r.Headers.Location?.ToString() ?? "", StringComparison.Ordinal);
        Step("from 127.0.0.1, X-Forwarded-Proto: https is believed (the login redirect is https://)");

        // Through nginx: each client is the address nginx saw, whatever X-Forwarded-For it sends.
        var user = "fwd" + Guid.NewGuid().ToString("N")[..8];
        var password = "password-" + Guid.NewGuid().ToString("N");
        await CreateUserAsync(user, password, "viewer");
        foreach (var client in new[] { "127.0.0.4", "127.0.0.5" })
        {
            using var http = Clients.Create(front.Https, from: client, caFile: front.Site.CaFile);
            using var login = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v1/auth/login", UriKind.Relative))
            {
                Content = JsonContent.Create(new { username = user, password }),
            };
            login.Headers.Add("X-Forwarded-For", "192.0.2.66");
            using var r = await http.SendAsync(login);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            var line = $"User '{user}' logged in from {client}";
            await WaitAsync(() => front.Silos.Any(s => s.Log.Contains(line, StringComparison.Ordinal)), $"a silo's audit line \"{line}\"");
        }
        Assert.DoesNotContain(front.Silos, s => s.Log.Contains($"User '{user}' logged in from 192.0.2.66", StringComparison.Ordinal)
            || s.Log.Contains($"User '{user}' logged in from 127.0.0.1", StringComparison.Ordinal));
        Step("through nginx from 127.0.0.4 and 127.0.0.5 with a forged X-Forwarded-For: the silos logged each client's own address");
    }

    [Fact]
    public async Task Killing_the_silo_of_a_console_session_leaves_the_api_and_the_session_on_the_other()
    {
        var user = "failover" + Guid.NewGuid().ToString("N")[..8];
        var password = "password-" + Guid.NewGuid().ToString("N");
        await CreateUserAsync(user, password, "viewer");
        Assert.True(await front.ScalarAsync("SELECT count(*) FROM scope.data_protection_keys") >= 1);

        var (context, page, logins, sockets) = await OpenConsoleAsync();
        await SignInAsync(page, user, password);
        await Assertions.Expect(page.GetByTestId("whoami")).ToContainTextAsync(user);
        await WaitAsync(() => Snapshot(sockets).Any(s => s.Renders > 0), "the circuit's first render batch");
        var route = (await context.CookiesAsync()).Single(c => c.Name == "scope_route").Value;
        // The console user is this test's own, so exactly one silo logged its sign-in: the session's.
        var loginLine = $"User '{user}' logged in from";
        var holders = front.Silos.Where(s => s.Log.Contains(loginLine, StringComparison.Ordinal)).ToList();
        var serving = Assert.Single(holders);
        var other = front.Silos.Single(s => s != serving);
        AssertRouteServedBy(route, serving);
        Step($"signed in to the console as {user}; its session (route {route[..8]}…) is on {serving}, every request of it went there");

        // The session's route is the dying silo's: the API client pinned on it must fail over too.
        await FailOverAsync(page, logins, sockets, route, route, serving, other, user);
        await Shot(page, "nginx-02-after-failover");

        // In turn: the first silo comes back, nginx takes it again, and the other one is lost.
        serving.Start();
        await serving.WaitHealthyAsync();
        Step($"{serving} started again and healthy");
        using (var pinned = Clients.Create(front.Https, caFile: front.Site.CaFile))
        {
            // The session's route hashes to the first silo: nginx tries it again once its fail_timeout (10 s) is over.
            await WaitAsync(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/health", UriKind.Relative));
                request.Headers.Add("Cookie", "scope_route=" + route);
                using var r = await pinned.SendAsync(request);
                return r.IsSuccessStatusCode && LogLines().LastOrDefault(l => l.Contains("route=" + route, StringComparison.Ordinal)) is { } line
                    && Upstreams(line) is [var only] && only == serving.Upstream;
            }, $"nginx to send the session's route to {serving} again", seconds: 60);
        }
        Step($"nginx sends the session's route to {serving} again");

        // The session is on the other silo now, but its route hashes to the first one again: the API
        // client takes a route of the silo about to die, to see nginx fail over from it.
        var otherRoute = await RouteServedByAsync(other);
        Step($"route {otherRoute[..8]}… goes to {other}");
        await FailOverAsync(page, logins, sockets, route, otherRoute, other, serving, user);
        await Shot(page, "nginx-03-after-second-failover");
        Assert.Equal(1, Count(logins));
        Step("the console session went through the loss of each silo in turn with its one sign-in");
        await context.DisposeAsync();
    }

    /// <summary>
    /// Kills <paramref name="dying"/> (the silo of the session), then: the API answers through nginx,
    /// pinned on <paramref name="apiRoute"/> (a route nginx sent to the dying silo) and not; the page
    /// reloads by itself on <paramref name="survivor"/> (the circuit cannot follow, and Blazor reloads
    /// when the new silo refuses it) and is signed in.
    /// </summary>
    private async Task FailOverAsync(IPage page, List<string> logins, List<Socket> sockets, string route, string apiRoute,
        SiloInstance dying, SiloInstance survivor, string user)
    {
        var loginsBefore = Count(logins);
        int socketsBefore = Count(sockets);
        int linesBefore = LogLines().Length;
        await page.EvaluateAsync("() => { window.scopeBeforeFailover = true; }");
        var killed = Stopwatch.StartNew();
        await dying.Kill9Async();
        Step($"{dying} killed with -9");

        int answered = 0;
        using (var pinned = Clients.Create(front.Https, caFile: front.Site.CaFile))
        using (var admin = front.AdminApi())
        {
            for (int round = 0; round < 3; round++)
            {
                // Pinned on the dead silo's route: a GET, then a fresh login (POST) and reads. The GET
                // goes first because a POST that nginx had already written to a connection the crash
                // broke is not resent (nginx never repeats a non-idempotent request): a client may see
                // a 502 for a login in flight at the very moment of the crash, not for one after it.
                using (var health = new HttpRequestMessage(HttpMethod.Get, new Uri("/health", UriKind.Relative)))
                {
                    health.Headers.Add("Cookie", "scope_route=" + apiRoute);
                    using var r = await pinned.SendAsync(health);
                    Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                    answered++;
                }
                var token = await LoginAsync(pinned, "admin", front.AdminPassword, apiRoute);
                answered++;
                foreach (var path in new[] { "/api/v1/auth/me", "/api/v1/machines", "/api/v1/users" })
                {
                    using var r = await SendAsync(pinned, HttpMethod.Get, path, token, apiRoute);
                    Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                    answered++;
                }
                // Unpinned: a fresh route per request, as for curl.
                using (var r = await admin.GetAsync(new Uri("/api/v1/machines", UriKind.Relative)))
                {
                    Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                    answered++;
                }
            }
        }
        // nginx tried the dead silo for its route (the browser's reconnection or this test's first
        // request), recorded the failure (502 for that attempt) and sent the rest to the survivor.
        try
        {
            await WaitAsync(() => LogLines().Skip(linesBefore).Any(l => Attempts(l).Any(a => a.Upstream == dying.Upstream && a.Status is "502" or "504")),
                $"an access log line with a failed attempt on {dying}", seconds: 30);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; nginx's access log since the kill:\n{string.Join('\n', LogLines().Skip(linesBefore))}", e);
        }
        Step($"the API answered all {answered.ToString(CultureInfo.InvariantCulture)} requests through {survivor} ({killed.Elapsed.TotalSeconds:0.0} s after the kill); nginx's log shows its failed attempt on {dying}");

        try
        {
            await page.WaitForFunctionAsync("() => window.scopeBeforeFailover === undefined", null, new PageWaitForFunctionOptions { Timeout = 120_000 });
        }
        catch (TimeoutException e)
        {
            await Shot(page, "nginx-failover-no-reload");
            throw new TimeoutException($"the page did not reload after {dying} was killed (it shows {page.Url}); access log since the kill:\n{string.Join('\n', LogLines().Skip(linesBefore))}\n{survivor}'s log:\n{SiloInstance.Tail(survivor.Log)}", e);
        }
        await Assertions.Expect(page.GetByTestId("whoami")).ToContainTextAsync(user, new() { Timeout = 60_000 });
        await Assertions.Expect(page.GetByTestId("machines")).ToBeVisibleAsync();
        Assert.Contains("/console/machines", page.Url, StringComparison.Ordinal);
        await WaitAsync(() => Snapshot(sockets).Skip(socketsBefore).Any(s => s.Renders > 0), "a new circuit's first render batch");
        Assert.Equal(loginsBefore, Count(logins));
        // The reload's page request (the circuit's old WebSocket is logged when it closes, with the dead silo).
        AssertRouteServedBy(route, survivor, LogLines().Skip(linesBefore).Where(l => l.Contains("\"GET /console/machines", StringComparison.Ordinal)));
        Step($"the page reloaded by itself on {survivor}, signed in as {user} without a sign-in ({killed.Elapsed.TotalSeconds:0.0} s after the kill); a new circuit is open there");
    }

    /// <summary>A route (scope_route cookie) that nginx sends to <paramref name="silo"/>, found by trying random ones.</summary>
    private async Task<string> RouteServedByAsync(SiloInstance silo)
    {
        using var http = Clients.Create(front.Https, caFile: front.Site.CaFile);
        // Each try lands on either silo: 64 misses in a row would take odds of 2^-64.
        for (int i = 0; i < 64; i++)
        {
            var route = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/health", UriKind.Relative));
            request.Headers.Add("Cookie", "scope_route=" + route);
            using (var r = await http.SendAsync(request))
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            string? line = null;
            await WaitAsync(() => (line = LogLines().LastOrDefault(l => l.Contains("route=" + route, StringComparison.Ordinal))) is not null, "the access log line of route " + route);
            if (Upstreams(line!) is [var only] && only == silo.Upstream)
                return route;
        }
        throw new InvalidOperationException($"nginx sent none of 64 random routes to {silo}");
    }

    private string[] LogLines() => front.AccessLog.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Every line of the access log with <paramref name="route"/> names <paramref name="silo"/> as its (last) upstream.</summary>
    private void AssertRouteServedBy(string route, SiloInstance silo, IEnumerable<string>? lines = null)
    {
        var mine = (lines ?? LogLines()).Where(l => l.Contains("route=" + route, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(mine);
        foreach (var l in mine)
            Assert.True(Upstreams(l) is [.., var last] && last == silo.Upstream, $"expected {silo} to answer: {l}");
    }

    /// <summary>The silos nginx tried for one request, in order (log format scope_upstream: "upstream=A, B upstream_status=502, 200 …").</summary>
    private static string[] Upstreams(string line) => Field(line, "upstream");

    /// <summary>Each silo nginx tried for one request, with the status of that attempt.</summary>
    private static IEnumerable<(string Upstream, string Status)> Attempts(string line) =>
        Upstreams(line).Zip(Field(line, "upstream_status"));

    private static string[] Field(string line, string name)
    {
        var key = " " + name + "=";
        int at = line.IndexOf(key, StringComparison.Ordinal);
        if (at < 0)
            return [];
        at += key.Length;
        // Values are lists joined by ", ", and the next field starts after a lone space.
        int end = at;
        while (end < line.Length && !(line[end] == ' ' && line[end - 1] != ','))
            end++;
        return line[at..end].Split(", ");
    }

    /// <summary>One WebSocket the page opened, with the frames it received.</summary>
    private sealed class Socket(string url)
    {
        private static readonly byte[] RenderBatch = "JS.RenderBatch"u8.ToArray();
        private int _renders;

        public string Url { get; } = url;

        /// <summary>
        /// Render batches the circuit sent: the first one means the circuit has started (before that,
        /// a lost connection is a circuit that failed to start, which Blazor does not reconnect).
        /// </summary>
        public int Renders => Volatile.Read(ref _renders);

        public void Frame(byte[]? binary)
        {
            if (binary is not null && binary.AsSpan().IndexOf(RenderBatch) >= 0)
                Interlocked.Increment(ref _renders);
        }
    }

    /// <summary>The lists grow from Playwright's event thread.</summary>
    private static List<T> Snapshot<T>(List<T> list)
    {
        lock (list)
            return [.. list];
    }

    private static int Count<T>(List<T> list)
    {
        lock (list)
            return list.Count;
    }

    private async Task<(IBrowserContext Context, IPage Page, List<string> Logins, List<Socket> Sockets)> OpenConsoleAsync()
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = front.Https.ToString(),
            // The development CA is not the browser's; the HttpClient tests verify the chain against it.
            IgnoreHTTPSErrors = true,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        var logins = new List<string>();
        var sockets = new List<Socket>();
        page.Request += (_, r) =>
        {
            if (r.Method == "POST" && r.Url.Contains("/console/login", StringComparison.Ordinal))
            {
                lock (logins)
                    logins.Add(r.Url);
            }
        };
        page.WebSocket += (_, ws) =>
        {
            var s = new Socket(ws.Url);
            lock (sockets)
                sockets.Add(s);
            ws.FrameReceived += (_, f) => s.Frame(f.Binary);
        };
        return (context, page, logins, sockets);
    }

    private static async Task SignInAsync(IPage page, string user, string password)
    {
        await page.GotoAsync("/console/machines");
        Assert.Contains("/console/login", page.Url, StringComparison.Ordinal);
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync("**/console/machines");
    }

    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(Artifacts, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine("screenshot: " + path);
    }

    private async Task CreateUserAsync(string user, string password, string role)
    {
        using var admin = front.AdminApi();
        using var r = await admin.PostAsJsonAsync(new Uri("/api/v1/users", UriKind.Relative), new { username = user, password, role });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
    }

    private static async Task<string> LoginAsync(HttpClient http, string user, string password, string? route = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v1/auth/login", UriKind.Relative))
        {
            Content = JsonContent.Create(new { username = user, password }),
        };
        if (route is not null)
            request.Headers.Add("Cookie", "scope_route=" + route);
        using var r = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var body = await r.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("access_token").GetString()!;
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string token, string? route = null)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (route is not null)
            request.Headers.Add("Cookie", "scope_route=" + route);
        return http.SendAsync(request);
    }

    /// <summary>A login for a user that does not exist, claiming <paramref name="forwardedFor"/>; the status it got.</summary>
    private static async Task<HttpStatusCode> FailedLoginAsync(HttpClient http, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/v1/auth/login", UriKind.Relative))
        {
            Content = JsonContent.Create(new { username = "nobody" + Guid.NewGuid().ToString("N")[..8], password = "not the password" }),
        };
        if (forwardedFor is not null)
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var r = await http.SendAsync(request);
        return r.StatusCode;
    }

    private static Task<HttpResponseMessage> GetWithProtoAsync(HttpClient http, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Add("X-Forwarded-Proto", "https");
        return http.SendAsync(request);
    }

    private static Task WaitAsync(Func<bool> condition, string what, int seconds = 60) =>
        WaitAsync(() => Task.FromResult(condition()), what, seconds);

    private static async Task WaitAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited {seconds.ToString(CultureInfo.InvariantCulture)} s for {what}");
            await Task.Delay(200);
        }
    }
}
