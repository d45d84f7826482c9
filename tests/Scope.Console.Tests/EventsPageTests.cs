using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Scope.Silo.E2E.Tests;
using Xunit.Abstractions;

namespace Scope.Console.Tests;

/// <summary>
/// The raw events page in chromium against a node whose collector traces one command name
/// (scope_evsleep, a copy of sleep): a viewer filters a run's events by pid and by type, gets a clear
/// error for a bad filter, and with Follow on sees the next run's events arrive without reloading. The
/// node names a Grafana address, so the console links to the provisioned dashboard. Screenshots go to
/// the artifacts folder.
/// </summary>
public sealed class EventsPageTests(EventsPageTests.EventsNode node, ITestOutputHelper output)
    : IClassFixture<EventsPageTests.EventsNode>, IAsyncLifetime
{
    private const string Comm = "scope_evsleep";
    private const string Grafana = "http://grafana.scope.test:3000/";

    public sealed class EventsNode : ScopeNode
    {
        protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
        {
            ["SCOPE__Collector__Probes"] = "process,syscalls",
            ["SCOPE__Collector__TargetComm"] = Comm,
            ["SCOPE__Console__GrafanaUrl"] = Grafana,
        };
    }

    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private string _sleep = null!;

    private static string Artifacts { get; } = Directory.CreateDirectory(
        Environment.GetEnvironmentVariable("SCOPE_TEST_ARTIFACTS") is { Length: > 0 } dir ? dir : Path.Combine(AppContext.BaseDirectory, "artifacts")).FullName;

    public async Task InitializeAsync()
    {
        _sleep = Path.Combine(node.StateDir, Comm);
        File.Copy("/usr/bin/sleep", _sleep, overwrite: true);
        File.SetUnixFileMode(_sleep, UnixFileMode.UserRead | UnixFileMode.UserExecute);
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

    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(Artifacts, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine("screenshot: " + path);
    }

    private async Task<int> RunSleep()
    {
        using var p = Process.Start(new ProcessStartInfo(_sleep, "0.3") { UseShellExecute = false })!;
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        return p.Id;
    }

    [Fact]
    public async Task A_viewer_filters_events_sees_bad_filters_refused_and_follows_new_ones_live()
    {
        var viewerPassword = "viewer-" + Guid.NewGuid().ToString("N");
        using (var r = await node.Http.PostAsJsonAsync("/api/v1/users", new { username = "events-viewer", password = viewerPassword, role = "viewer" }))
            Assert.True(r.IsSuccessStatusCode, $"creating the viewer: {(int)r.StatusCode}");
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = node.Api.ToString() });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync("/console/login");
        await page.FillAsync("#username", "events-viewer");
        await page.FillAsync("#password", viewerPassword);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync("**/console/machines");

        // Grafana is configured: the drawer links to the provisioned process dashboard.
        Assert.Equal(Grafana + "d/scope-process", await page.GetByTestId("grafana-link").GetAttributeAsync("href"));

        var pid = await RunSleep();
        var pidText = pid.ToString(CultureInfo.InvariantCulture);
        output.WriteLine($"{Comm} pid {pid}");
        // Filled in and applied from the form; the filter lands in the address, so the view is a link.
        await page.GotoAsync("/console/events");
        // Typing into the prerendered page before the circuit is up would be lost.
        await page.Locator("[data-testid=events-filter][data-interactive=true]").WaitForAsync();
        await page.GetByTestId("f-pid").FillAsync(pidText);
        await page.GetByTestId("f-apply").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/console/events\\?pid={pidText}$"));
        var types = page.GetByTestId("event-type");
        // The run's exit may still be on its way through ingest: read again until it is there.
        for (var deadline = DateTime.UtcNow.AddSeconds(60); !(await types.AllInnerTextsAsync()).Contains("process_exit"); await Task.Delay(1000))
        {
            Assert.True(DateTime.UtcNow < deadline, "the run's process_exit never showed on the events page");
            await page.ReloadAsync();
        }
        var seen = await types.AllInnerTextsAsync();
        Assert.Equal("process_exec", seen[0]);
        Assert.Contains("syscall", seen);
        Assert.All(await page.GetByTestId("event-fields").AllInnerTextsAsync(), f => Assert.Contains($"pid={pidText}", f, StringComparison.Ordinal));
        await Shot(page, "20-events-by-pid");

        await page.GotoAsync($"/console/events?pid={pidText}&type=process_exit");
        await Assertions.Expect(page.GetByTestId("events-count")).ToHaveTextAsync("1 event");
        await Assertions.Expect(types).ToHaveTextAsync(["process_exit"]);

        // Bad filters get a clear error, not an empty table.
        await page.GotoAsync("/console/events?pid=abc");
        await Assertions.Expect(page.GetByTestId("events-error")).ToContainTextAsync("pid: must be a positive process id");
        await page.GotoAsync("/console/events?from=yesterday");
        await Assertions.Expect(page.GetByTestId("events-error")).ToContainTextAsync("from: 'yesterday' is not a time");
        await page.GotoAsync("/console/events?process=nonsense");
        await Assertions.Expect(page.GetByTestId("events-error")).ToContainTextAsync("process: must be MACHINE.PID.START_NS");
        await Shot(page, "21-events-bad-filter");

        // Follow: the next run's exec appears on the open page, which is never reloaded.
        await page.GotoAsync("/console/events?type=process_exec");
        await Assertions.Expect(page.GetByTestId("events")).ToContainTextAsync(pidText);
        await page.Locator("[data-testid=events-filter][data-interactive=true]").WaitForAsync();
        // MudBlazor puts the test id on the switch's input or on its wrapper, depending on the version.
        var follow = page.GetByTestId("events-follow");
        if (await follow.EvaluateAsync<string>("e => e.tagName") != "INPUT")
            follow = follow.Locator("input");
        await follow.CheckAsync();
        var next = await RunSleep();
        output.WriteLine($"{Comm} pid {next}, while following");
        await Assertions.Expect(page.GetByTestId("events")).ToContainTextAsync($"pid={next}", new() { Timeout = 60_000 });
        await Shot(page, "22-events-following");
        await context.DisposeAsync();
    }
}
