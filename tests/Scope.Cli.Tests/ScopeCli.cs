using System.Diagnostics;
using System.Text.Json;

namespace Scope.Cli.Tests;

/// <summary>Runs client/bin/scope as a user would, from a chosen directory, and reads what it wrote.</summary>
internal static class ScopeCli
{
    public static string Repo { get; } = FindRepo();

    public static string Build(string relative) => Path.Combine(Repo, "collector-native", "build", relative);

    /// <summary>The stand-in CUDA runtime (no GPU here): a library computing on the host, for the success path.</summary>
    public static string StandInRuntime => Build("tests/fake-cuda");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> Run(string cwd, IEnumerable<string> args, IDictionary<string, string>? env = null, string? asUser = null, int timeoutSeconds = 120)
    {
        var scope = Path.Combine(Repo, "client", "bin", "scope");
        var psi = asUser is null ? new ProcessStartInfo(scope) : new ProcessStartInfo("setpriv");
        if (asUser is not null)
        {
            foreach (var a in new[] { $"--reuid={asUser}", $"--regid={asUser}", "--clear-groups", scope })
                psi.ArgumentList.Add(a);
        }
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.WorkingDirectory = cwd;
        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
            psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"scope {string.Join(' ', args)} ran past {timeoutSeconds} s:\n{await stderr}");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    public static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Scope.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Scope.sln not found above the test binaries");
    }
}
