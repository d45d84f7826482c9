using System.Diagnostics;
using System.Text.Json;

namespace Scope.Collector.E2E.Tests;

/// <summary>One run of the real scope-collector binary, with its JSON events parsed.</summary>
internal sealed class CollectorRun
{
    public required int ExitCode { get; init; }
    public required string Stdout { get; init; }
    public required string Stderr { get; init; }
    public int Pid { get; init; }

    /// <summary>The JSON objects among the output lines; other lines are the traced command's own output.</summary>
    public IReadOnlyList<JsonElement> Events => ParseEvents(Stdout);

    public static IReadOnlyList<JsonElement> ParseEvents(string text) =>
        [.. text.Split('\n')
            .Where(l => l.StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    public static string BinaryPath
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("SCOPE_COLLECTOR");
            if (!string.IsNullOrEmpty(fromEnv))
                return fromEnv;
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Scope.sln")))
                dir = dir.Parent;
            if (dir is null)
                throw new InvalidOperationException("cannot find the repository root (Scope.sln) above " + AppContext.BaseDirectory);
            return Path.Combine(dir.FullName, "collector-native", "build", "scope-collector");
        }
    }

    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(BinaryPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>Runs to completion, with stdout to a pipe.</summary>
    public static async Task<CollectorRun> RunAsync(params string[] args)
    {
        using var p = Process.Start(StartInfo(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return new CollectorRun { ExitCode = p.ExitCode, Stdout = await stdout, Stderr = await stderr };
    }

    /// <summary>Runs through /bin/sh so that stdout can be a plain file, as a shell redirect makes it.</summary>
    public static async Task<CollectorRun> RunWithStdoutToFileAsync(string file, params string[] args)
    {
        var quoted = string.Join(' ', args.Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"exec '{BinaryPath}' {quoted} > '{file}'");
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return new CollectorRun { ExitCode = p.ExitCode, Stdout = await File.ReadAllTextAsync(file), Stderr = await stderr };
    }
}

internal static class EventExtensions
{
    public static string Type(this JsonElement e) => e.GetProperty("type").GetString()!;
    public static int Pid(this JsonElement e) => e.GetProperty("pid").GetInt32();
    public static string? Str(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    public static long Long(this JsonElement e, string name) => e.GetProperty(name).GetInt64();
    public static JsonElement Args(this JsonElement e) => e.GetProperty("args");

    public static bool IsSyscall(this JsonElement e, string name) =>
        e.Type() == "syscall" && e.GetProperty("name").GetString() == name;

    public static long ArgLong(this JsonElement e, string name) =>
        e.Args().TryGetProperty(name, out var v) ? v.GetInt64() : -1;
}
