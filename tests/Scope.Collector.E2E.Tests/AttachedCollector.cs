using System.Diagnostics;
using System.Text.Json;

namespace Scope.Collector.E2E.Tests;

/// <summary>
/// A collector in an attach mode (--pid, --comm) writing JSON lines to a file of its own: started,
/// waited for (its stderr lines up to "ready" are kept), then stopped with SIGTERM and read back.
/// </summary>
internal sealed class AttachedCollector : IDisposable
{
    private readonly string _file;

    private AttachedCollector(Process process, string file) => (Process, _file) = (process, file);

    public Process Process { get; }

    /// <summary>What the collector said on stderr before "ready".</summary>
    public List<string> Before { get; } = [];

    public static async Task<AttachedCollector> StartAsync(params string[] args)
    {
        var file = Path.Combine(Path.GetTempPath(), $"scope-e2e-{Guid.NewGuid():N}.jsonl");
        var started = new AttachedCollector(Process.Start(CollectorRun.StartInfo([.. args, "--output", file]))!, file);
        var p = started.Process;
        while (await p.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line && line != "scope-collector: ready")
            started.Before.Add(line);
        return started;
    }

    /// <summary>The next stderr line, waiting at most 30 s.</summary>
    public Task<string?> NextMessageAsync() => Process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>Lets the ring buffer drain, stops the collector (SIGTERM), and returns its events.</summary>
    public async Task<IReadOnlyList<JsonElement>> StopAsync()
    {
        await Task.Delay(300);
        Assert.Equal(0, Native.Kill(Process.Id, Native.SigTerm));
        await Process.WaitForExitAsync();
        Assert.Equal(0, Process.ExitCode);
        return CollectorRun.ParseEvents(await File.ReadAllTextAsync(_file));
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Native.Kill(Process.Id, Native.SigCont);
            Process.Kill();
            Process.WaitForExit();
        }
        Process.Dispose();
        File.Delete(_file);
    }
}
