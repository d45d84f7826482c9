using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Scope.Abstractions;
using Scope.Silo.Hosting;
using Scope.Silo.Ingest;

namespace Scope.Silo.Collectors;

/// <summary>
/// Starts the local collector, restarts it with back-off when it dies, tells the machine grain when
/// it is gone, and stops it (SIGTERM, so it sends its final batch) when the silo stops.
/// </summary>
public sealed partial class CollectorSupervisor(
    IOptions<CollectorOptions> options,
    IOptions<IngestOptions> ingest,
    IngestService ingestService,
    CollectorRegistry registry,
    LocalMachine machine,
    IGrainFactory grains,
    IHostEnvironment env,
    ILogger<CollectorSupervisor> log) : BackgroundService
{
    private Process? _current;
    private string _commandLine = "";

    public string BinaryPath => ResolvePath(options.Value.Path, env.ContentRootPath);

    internal static string ResolvePath(string configured, string contentRoot)
    {
        if (!string.IsNullOrEmpty(configured))
            return System.IO.Path.GetFullPath(configured, contentRoot);
        var fromEnv = Environment.GetEnvironmentVariable("SCOPE_COLLECTOR");
        if (!string.IsNullOrEmpty(fromEnv))
            return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "collector-native", "build", "scope-collector");
            if (File.Exists(candidate))
                return candidate;
        }
        return "/usr/local/lib/scope/scope-collector";
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stop = stoppingToken;
        var o = options.Value;
        if (!o.Enabled)
            return;
        var args = CollectorCommand.Arguments(o, ingest.Value.Endpoint, machine.Id);
        var path = BinaryPath;
        _commandLine = string.Join(' ', args);
        if (!File.Exists(path))
            throw new FileNotFoundException($"the collector binary {path} is missing: run `make build`", path);
        await ingestService.Bound.WaitAsync(stop);

        var backoff = TimeSpan.FromSeconds(1);
        while (!stop.IsCancellationRequested)
        {
            var started = DateTime.UtcNow;
            var code = await RunOnce(path, args, o.Id, stop);
            if (stop.IsCancellationRequested)
                break;
            await grains.GetGrain<IMachineGrain>(machine.Id).CollectorGone(o.Id, 0, $"exited with {code}");
            // A collector that ran a while gets a quick restart; one that keeps dying backs off.
            backoff = DateTime.UtcNow - started > TimeSpan.FromMinutes(1) ? TimeSpan.FromSeconds(1)
                : TimeSpan.FromSeconds(Math.Min(backoff.TotalSeconds * 2, o.RestartBackoffMaxSeconds));
            LogRestart(o.Id, code, backoff.TotalSeconds);
            await Task.Delay(backoff, stop).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task<int> RunOnce(string path, IReadOnlyList<string> args, string id, CancellationToken stop)
    {
        var (entry, secret) = registry.Register(id, machine.Id);
        var psi = new ProcessStartInfo(path)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["SCOPE_COLLECTOR_SECRET"] = secret;
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + path);
        _current = p;
        entry.Running = true;
        LogStarted(id, p.Id, _commandLine);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            if (e.Data == "scope-collector: ready")
                entry.Ready = true;
            LogCollectorSaid(id, e.Data);
        };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        try
        {
            await p.WaitForExitAsync(stop);
        }
        catch (OperationCanceledException)
        {
            await StopProcess(p);
        }
        entry.Ready = false;
        entry.Running = false;
        entry.LastExitCode = p.ExitCode;
        _current = null;
        return p.ExitCode;
    }

    private static async Task StopProcess(Process p)
    {
        if (p.HasExited)
            return;
        _ = Kill(p.Id, 15); // SIGTERM: the collector drains, flushes and sends its final batch
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await p.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            await p.WaitForExitAsync(CancellationToken.None);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_current is { } p)
            await StopProcess(p);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);

    [LoggerMessage(Level = LogLevel.Information, Message = "Collector {Id} started (pid {Pid}): {Args}")]
    private partial void LogStarted(string id, int pid, string args);

    [LoggerMessage(Level = LogLevel.Information, Message = "Collector {Id}: {Line}")]
    private partial void LogCollectorSaid(string id, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collector {Id} exited with {Code}; restarting in {Seconds} s")]
    private partial void LogRestart(string id, int code, double seconds);
}
