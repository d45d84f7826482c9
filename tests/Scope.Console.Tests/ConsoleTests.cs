using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Scope.Silo.E2E.Tests;
using Xunit.Abstractions;

namespace Scope.Console.Tests;

/// <summary>
/// The console in chromium against a real node: an admin signs in, sees the node's machine, starts a
/// task on a sleeping process from the form and watches its row go to running and, once stopped from
/// the page, to stopped, without reloading; a viewer sees no controls and is refused the start form
/// and the dashboard by the server; the admin gets the dashboard. Screenshots go to the artifacts folder.
/// </summary>
public sealed class ConsoleTests(ConsoleTests.ConsoleNode node, ITestOutputHelper output) : IClassFixture<ConsoleTests.ConsoleNode>, IAsyncLifetime
{
    public sealed class ConsoleNode : ScopeNode
    {
        protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
        {
            ["SCOPE__Collector__Enabled"] = "false",
            ["SCOPE__Tasks__HeartbeatSeconds"] = "2",
        };
    }

    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    private static string Artifacts { get; } = Directory.CreateDirectory(
        Environment.GetEnvironmentVariable("SCOPE_TEST_ARTIFACTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox"],
        });
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    private async Task<IPage> SignIn(string user, string password)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = node.Api.ToString() });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync("/console/machines");
        // Not signed in: the page sends the browser to the login.
        Assert.Contains("/console/login", page.Url, StringComparison.Ordinal);
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync("**/console/machines");
        return page;
    }

    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(Artifacts, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine("screenshot: " + path);
    }

    [Fact]
    public async Task An_admin_starts_and_stops_a_task_and_a_viewer_only_reads()
    {
        // A wrong password is refused on the page.
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = node.Api.ToString() });
        var anonymous = await context.NewPageAsync();
        await anonymous.GotoAsync("/console/login");
        await Shot(anonymous, "01-login");
        await anonymous.FillAsync("#username", "admin");
        await anonymous.FillAsync("#password", "not-the-password");
        await anonymous.ClickAsync("#sign-in");
        await Assertions.Expect(anonymous.GetByTestId("login-error")).ToContainTextAsync("invalid username or password");
        await context.DisposeAsync();

        var admin = await SignIn("admin", node.AdminPassword);
        await Assertions.Expect(admin.GetByTestId("machines")).ToContainTextAsync(node.MachineId);
        await Shot(admin, "02-machines");

        using var sleep = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        try
        {
            await admin.GotoAsync("/console/tasks/start");
            await Shot(admin, "03-start-form-empty");
            await admin.GetByLabel("process", new() { Exact = true }).CheckAsync();
            await admin.GetByLabel("Target pid").FillAsync(sleep.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await admin.GetByLabel("Labels (KEY=VALUE, one per line)").FillAsync("suite=console");
            await Shot(admin, "03-start-form");
            await admin.GetByTestId("start").ClickAsync();
            await admin.WaitForURLAsync("**/console/tasks");
            var id = (await admin.GetByTestId("task-id").First.InnerTextAsync()).Trim();
            output.WriteLine("task " + id);
            // The page is not reloaded from here on: the circuit's 2 s refresh moves the state.
            await Assertions.Expect(admin.GetByTestId($"state-{id}")).ToHaveTextAsync("running", new() { Timeout = 60_000 });
            await Shot(admin, "04-task-running");
            await admin.GetByTestId($"stop-{id}").ClickAsync();
            await Assertions.Expect(admin.GetByTestId($"state-{id}")).ToHaveTextAsync("stopped", new() { Timeout = 60_000 });
            await Shot(admin, "05-task-stopped");

            await admin.GotoAsync("/console/users");
            await Assertions.Expect(admin.GetByTestId("users")).ToContainTextAsync("admin");
            await Shot(admin, "06-users");

            var dashboard = await admin.GotoAsync("/dashboard");
            Assert.Equal((int)HttpStatusCode.OK, dashboard!.Status);
            await admin.WaitForTimeoutAsync(2000);
            await Shot(admin, "07-dashboard-admin");

            // A viewer, made through the API.
            var viewerPassword = "viewer-" + Guid.NewGuid().ToString("N");
            var viewerName = "viewer" + Guid.NewGuid().ToString("N")[..6];
            using (var r = await node.Http.PostAsJsonAsync("/api/v1/users", new { username = viewerName, password = viewerPassword, role = "viewer" }))
                Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            var viewer = await SignIn(viewerName, viewerPassword);
            await viewer.GotoAsync("/console/tasks");
            await Assertions.Expect(viewer.GetByTestId($"state-{id}")).ToHaveTextAsync("stopped");
            Assert.Equal(0, await viewer.GetByTestId("new-task").CountAsync());
            Assert.Equal(0, await viewer.Locator("[data-testid^=stop-]").CountAsync());
            await Shot(viewer, "08-tasks-viewer");
            // The server refuses the start form itself, not just the button: the request is answered with the denied page.
            await viewer.GotoAsync("/console/tasks/start");
            Assert.Contains("/console/denied", viewer.Url, StringComparison.Ordinal);
            Assert.Equal(0, await viewer.GetByTestId("start").CountAsync());
            await Shot(viewer, "09-start-denied-viewer");
            var viewerDashboard = await viewer.GotoAsync("/dashboard");
            Assert.Equal((int)HttpStatusCode.Forbidden, viewerDashboard!.Status);

            // The cookie opens no API route: the API still wants a bearer token.
            var api = await viewer.Context.APIRequest.GetAsync("/api/v1/machines");
            Assert.Equal((int)HttpStatusCode.Unauthorized, api.Status);
        }
        finally
        {
            sleep.Kill();
        }
    }
}
