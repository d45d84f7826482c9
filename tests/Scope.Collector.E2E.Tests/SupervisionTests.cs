using System.Diagnostics;

namespace Scope.Collector.E2E.Tests;

/// <summary>A supervised collector must not outlive its supervisor, however the supervisor ends.</summary>
[Collection("collector")]
public sealed class SupervisionTests
{
    [Fact]
    public async Task Die_with_parent_stops_the_collector_when_its_parent_is_killed()
    {
        // A shell stands in for the silo: it starts the collector, then is killed with SIGKILL.
        var script = $"'{CollectorRun.BinaryPath}' --die-with-parent --system-wide --counts-only --output /dev/null & echo $!; sleep 30 >/dev/null 2>&1";
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using var parent = Process.Start(psi)!;
        var collectorPid = int.Parse(await parent.StandardOutput.ReadLineAsync() ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(collectorPid > 0);
        var stderr = parent.StandardError;
        string? line;
        while ((line = await stderr.ReadLineAsync()) is not null && line != "scope-collector: ready")
        {
        }
        Assert.Equal("scope-collector: ready", line);
        Assert.True(Directory.Exists($"/proc/{collectorPid}"));

        parent.Kill(); // SIGKILL: no chance to stop its child
        var stopwatch = Stopwatch.StartNew();
        while (IsAlive(collectorPid) && stopwatch.Elapsed < TimeSpan.FromSeconds(5))
            await Task.Delay(20);
        Assert.False(IsAlive(collectorPid), "the collector outlived its parent by 5 s");
        Assert.Contains("the process that started us is gone", await stderr.ReadToEndAsync(), StringComparison.Ordinal);
    }

    /// <summary>Alive and not a zombie: a reaped or exited process has no /proc entry or state Z.</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
