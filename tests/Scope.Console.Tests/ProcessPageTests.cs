using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Scope.Silo.E2E.Tests;
using Xunit.Abstractions;

namespace Scope.Console.Tests;

/// <summary>
/// The per-process pages in chromium against a node watching CUDA and Python as CudaNodeTests' does:
/// Debian's python3.11 runs tests/python/cuda_kernel_leak.py on the STAND-IN CUDA runtime (it registers
/// and launches "_Z6vecAddPfS_S_i" twice, then leaks 3 MiB from leaky_alloc()); a viewer finds the
/// process in the list and, on its page, the demangled kernel, the 3 MiB leak and the Python function
/// and line that made it. Screenshots go to the artifacts folder.
/// </summary>
public sealed class ProcessPageTests(ProcessPageTests.CudaConsoleNode node, ITestOutputHelper output)
    : IClassFixture<ProcessPageTests.CudaConsoleNode>, IAsyncLifetime
{
    public sealed class CudaConsoleNode : ScopeNode
    {
        protected override IReadOnlyDictionary<string, string> ExtraSettings => new Dictionary<string, string>
        {
            ["SCOPE__Collector__Probes"] = "process,cuda,python",
            ["SCOPE__Collector__TargetComm"] = "cuda_ledger,python3.11",
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

    private async Task Shot(IPage page, string name)
    {
        var path = Path.Combine(Artifacts, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        output.WriteLine("screenshot: " + path);
    }

    private static async Task<T> Eventually<T>(Func<Task<T?>> probe, string what, int seconds = 60) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (await probe() is { } v)
                return v;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(250);
        }
    }

    /// <summary>
    /// Clicks a tab until its content shows: the page is prerendered, and a click that lands before
    /// the circuit is connected does nothing.
    /// </summary>
    private static async Task<ILocator> OpenTab(IPage page, string tab, string testId)
    {
        var content = page.GetByTestId(testId);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await page.GetByRole(AriaRole.Tab, new() { Name = tab }).ClickAsync(new() { Timeout = 2_000 });
                await content.First.WaitForAsync(new() { Timeout = 2_000 });
                return content;
            }
            catch (Exception e) when (e is PlaywrightException or System.TimeoutException && DateTime.UtcNow < deadline)
            {
            }
        }
    }

    [Fact]
    public async Task A_viewer_sees_the_kernel_the_3_MiB_leak_and_the_python_function_that_made_it()
    {
        var build = Path.Combine(node.Repo, "collector-native", "build", "tests");
        var script = Path.Combine(node.Repo, "tests", "python", "cuda_kernel_leak.py");
        var psi = new ProcessStartInfo("/usr/bin/python3.11", [script]) { UseShellExecute = false, RedirectStandardOutput = true };
        psi.Environment["LD_LIBRARY_PATH"] = Path.Combine(build, "fake-cuda");
        using var p = Process.Start(psi)!;
        var said = (await p.StandardOutput.ReadToEndAsync()).Trim().Split(' ');
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        var (ptr, line) = (said[1], int.Parse(said[2], CultureInfo.InvariantCulture));

        // The page reads once: wait, through the API, for what it is to show (the exit may come in a later batch).
        var id = await Eventually(async () =>
        {
            var list = await node.Http.GetFromJsonAsync<JsonElement>($"/api/v1/processes?pid={p.Id}&machine={node.MachineId}");
            return list.GetArrayLength() > 0 ? list[0].GetProperty("id").GetString() : null;
        }, "the python process in /api/v1/processes");
        await Eventually(async () =>
        {
            var leaks = await node.Http.GetFromJsonAsync<JsonElement>($"/api/v1/processes/{id}/cuda/leaks");
            var kernels = await node.Http.GetFromJsonAsync<JsonElement>($"/api/v1/processes/{id}/cuda/kernels");
            return leaks.GetArrayLength() > 0 && leaks.EnumerateArray().All(l => l.GetProperty("reason").GetString() == "alive_at_exit")
                && kernels.GetArrayLength() > 0 ? "" : null;
        }, "the leak at exit and the kernel");

        var viewerPassword = "viewer-" + Guid.NewGuid().ToString("N");
        var viewerName = "viewer" + Guid.NewGuid().ToString("N")[..6];
        using (var r = await node.Http.PostAsJsonAsync("/api/v1/users", new { username = viewerName, password = viewerPassword, role = "viewer" }))
            Assert.Equal(System.Net.HttpStatusCode.Created, r.StatusCode);
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = node.Api.ToString() });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync("/console/processes");
        Assert.Contains("/console/login", page.Url, StringComparison.Ordinal);
        await page.FillAsync("#username", viewerName);
        await page.FillAsync("#password", viewerPassword);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync("**/console/processes");

        var link = page.GetByTestId($"process-{p.Id}");
        await Assertions.Expect(link).ToHaveTextAsync(id);
        await Shot(page, "10-processes");
        await link.ClickAsync();
        await page.WaitForURLAsync("**/console/processes/" + Uri.EscapeDataString(id));
        await Assertions.Expect(page.GetByTestId("process-comm")).ToContainTextAsync("python3.11");
        await Shot(page, "11-process-syscalls");

        var kernel = await OpenTab(page, "CUDA kernels", "kernels");
        await Assertions.Expect(kernel).ToContainTextAsync("vecAdd(float*, float*, float*, int)");
        Assert.DoesNotContain("_Z6vecAdd", await kernel.InnerTextAsync(), StringComparison.Ordinal);
        await Shot(page, "12-process-kernels");

        var leak = await OpenTab(page, "CUDA leaks", "leak");
        await Assertions.Expect(leak).ToHaveCountAsync(1);
        await Assertions.Expect(leak.GetByTestId("leak-bytes")).ToHaveTextAsync("3145728");
        await Assertions.Expect(leak).ToContainTextAsync(ptr);
        await Assertions.Expect(leak.GetByTestId("leak-python")).ToContainTextAsync($"leaky_alloc ({script}:{line.ToString(CultureInfo.InvariantCulture)})");
        await Assertions.Expect(leak.GetByTestId("leak-native")).Not.ToBeEmptyAsync();
        await Shot(page, "13-process-leaks");
        await context.DisposeAsync();
    }
}
