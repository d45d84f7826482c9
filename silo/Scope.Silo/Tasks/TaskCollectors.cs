using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Scope.Abstractions;
using Scope.Grains.Tasks;
using Scope.Silo.Collectors;
using Scope.Silo.Hosting;
using Scope.Silo.Ingest;

namespace Scope.Silo.Tasks;

/// <summary>
/// One scope-collector per monitoring task on this machine. Each is the predefined binary
/// (<see cref="CollectorSupervisor.ResolvePath"/>) with arguments from
/// <see cref="CollectorCommand.TaskArguments"/>, its own secret registered in the
/// <see cref="CollectorRegistry"/> (a fresh one per start) and <c>--die-with-parent</c>. A collector
/// that exits unasked is restarted after 1 s, 2 s, 4 s … up to Scope:Collector:RestartBackoffMaxSeconds
/// (back to 1 s after a run of a minute or more); one that exits with 2 to 6 (bad arguments, missing
/// privileges or BTF, no such pid, a probe refused) is not restarted and its task fails. Every start,
/// attach and exit goes to the task grain, in order, through a queue per task that never holds up a stop.
/// When the silo stops, the collectors are stopped without telling their tasks, which stay active and
/// are restarted by the host agent when the silo starts again.
/// </summary>
public sealed partial class TaskCollectors(
    IOptions<CollectorOptions> options,
    IOptions<IngestOptions> ingest,
    IngestService ingestService,
    CollectorRegistry registry,
    LocalMachine machine,
    IGrainFactory grains,
    IHostEnvironment env,
    CollectorFinalAccounts finals,
    ILogger<TaskCollectors> log) : ITaskCollectors, IHostedService
{
    /// <summary>How long a collector has to exit after SIGTERM before it is killed.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, Run> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _versions = new(StringComparer.Ordinal);
    private volatile bool _shuttingDown;

    private sealed class Run(string taskId, TaskSpec spec, IReadOnlyList<string> args, string path, string version)
    {
        public string TaskId { get; } = taskId;
        public string CollectorId { get; } = TaskIds.CollectorId(taskId);
        public TaskSpec Spec { get; } = spec;
        public IReadOnlyList<string> Args { get; } = args;
        public string CommandLine { get; } = string.Join(' ', args);
        public string Path { get; } = path;
        public string Version { get; } = version;
        public object Gate { get; } = new();
        public CancellationTokenSource Stopping { get; } = new();
        public Channel<CollectorEvent> Events { get; } = Channel.CreateUnbounded<CollectorEvent>(new UnboundedChannelOptions { SingleReader = true });
        public Process? Process { get; set; }
        public int? Pid { get; set; }
        /// <summary>Where the running collector leaves its final account (--final-file).</summary>
        public string? FinalFile { get; set; }
        public CollectorRegistry.Entry? Entry { get; set; }
        public volatile string State = "starting";
        public int Restarts;
        public DateTimeOffset StartedAt;
        public Task Loop { get; set; } = Task.CompletedTask;
        public Task Pump { get; set; } = Task.CompletedTask;
        /// <summary>The collector's last lines on stderr, to say why it failed.</summary>
        public Queue<string> LastLines { get; } = new();

        public void Post(CollectorEvent e) => Events.Writer.TryWrite(e);
    }

    public string MachineId => machine.Id;

    public IReadOnlyList<TaskSpecError> Validate(TaskSpec spec) =>
        CollectorCommand.ValidateTask(spec, pid => Directory.Exists($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}"));

    public async Task<TaskStartResult> StartAsync(string taskId, TaskSpec spec, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var collectorId = TaskIds.CollectorId(taskId);
        if (_shuttingDown)
            throw new InvalidOperationException("the silo is stopping");
        if (_runs.TryGetValue(taskId, out var existing) && existing.State != "failed")
            return new TaskStartResult(true, collectorId, existing.Pid, []);
        var errors = Validate(spec);
        if (errors.Count > 0)
            return new TaskStartResult(false, collectorId, null, errors);
        var o = options.Value;
        var args = CollectorCommand.TaskArguments(spec, taskId, collectorId, o, ingest.Value.Endpoint, machine.Id);
        var path = CollectorSupervisor.ResolvePath(o.Path, env.ContentRootPath);
        if (!File.Exists(path))
            throw new InvalidOperationException($"the collector binary {path} is missing: run `make build`");
        // Batches need somewhere to go: wait (a little) for the ingest socket, as the local collector does.
        using (var bound = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            bound.CancelAfter(TimeSpan.FromSeconds(30));
            await ingestService.Bound.WaitAsync(bound.Token);
        }
        var version = await VersionOf(path);

        // Starts come from the machine's one host agent, one at a time: this replaces a failed run at most.
        var run = new Run(taskId, spec, args, path, version);
        _runs[taskId] = run;
        try
        {
            lock (run.Gate)
                StartProcess(run);
        }
        catch (Exception)
        {
            _runs.TryRemove(new KeyValuePair<string, Run>(taskId, run));
            throw;
        }
        run.Pump = Task.Run(() => PumpEvents(run), CancellationToken.None);
        run.Loop = Task.Run(() => Supervise(run), CancellationToken.None);
        return new TaskStartResult(true, collectorId, run.Pid, []);
    }

    public async Task StopAsync(string taskId, CancellationToken ct)
    {
        if (!_runs.TryGetValue(taskId, out var run))
            return;
        await StopRun(run);
        _runs.TryRemove(new KeyValuePair<string, Run>(taskId, run));
    }

    public TaskCollectorInfo? Find(string taskId) => _runs.TryGetValue(taskId, out var run) ? Info(run) : null;

    public void Forget(string taskId)
    {
        if (_runs.TryGetValue(taskId, out var run) && run.State == "failed")
            _runs.TryRemove(new KeyValuePair<string, Run>(taskId, run));
    }

    public IReadOnlyList<TaskCollectorInfo> All => [.. _runs.Values.Select(Info).OrderBy(i => i.StartedAt)];

    public HostFacts ReadHost() => HostFactsReader.Read(machine);

    Task IHostedService.StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The silo is stopping: stop every collector, without telling the tasks (they stay active, to be resumed).</summary>
    async Task IHostedService.StopAsync(CancellationToken cancellationToken)
    {
        _shuttingDown = true;
        await Task.WhenAll(_runs.Values.Select(StopRun));
    }

    private static TaskCollectorInfo Info(Run run) => new(
        run.TaskId, run.CollectorId, run.State is "starting" or "running" ? run.Pid : null,
        run.Version, run.State, run.StartedAt, Volatile.Read(ref run.Restarts));

    /// <summary>Starts the collector process of <paramref name="run"/>; the caller holds its gate.</summary>
    private void StartProcess(Run run)
    {
        // A fresh secret per start: a collector left over from an earlier run cannot send as this one.
        var (entry, secret) = registry.Register(run.CollectorId, machine.Id);
        var psi = new ProcessStartInfo(run.Path)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
        };
        foreach (var a in run.Args)
            psi.ArgumentList.Add(a);
        // If this silo dies, the collector stops too and says there how far it got: the next silo
        // counts what never reached PostgreSQL (CollectorFinalAccounts).
        var finalFile = finals.NewPath(run.CollectorId);
        psi.ArgumentList.Add("--final-file");
        psi.ArgumentList.Add(finalFile);
        psi.Environment["SCOPE_COLLECTOR_SECRET"] = secret;
        var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + run.Path);
        run.Process?.Dispose();
        run.Process = p;
        run.Pid = p.Id;
        run.FinalFile = finalFile;
        run.Entry = entry;
        run.State = "starting";
        run.StartedAt = DateTimeOffset.UtcNow;
        lock (run.LastLines)
            run.LastLines.Clear();
        entry.Running = true;
        var pid = p.Id;
        LogStarted(run.TaskId, run.CollectorId, pid, run.CommandLine);
        run.Post(new CollectorEvent(CollectorEventKind.Started, DateTimeOffset.UtcNow, pid, null, null,
            $"collector {run.CollectorId} started (pid {pid.ToString(CultureInfo.InvariantCulture)})", null));
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (run.LastLines)
            {
                run.LastLines.Enqueue(e.Data);
                while (run.LastLines.Count > 5)
                    run.LastLines.Dequeue();
            }
            if (e.Data == "scope-collector: ready" && ReferenceEquals(run.Process, p))
            {
                entry.Ready = true;
                run.State = "running";
                run.Post(new CollectorEvent(CollectorEventKind.Ready, DateTimeOffset.UtcNow, pid, null, null,
                    $"collector {run.CollectorId} attached its probes (pid {pid.ToString(CultureInfo.InvariantCulture)})", null));
            }
            LogCollectorSaid(run.CollectorId, e.Data);
        };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
    }

    /// <summary>Waits for each exit of the task's collector, and restarts it, reports it failed, or reports it stopped.</summary>
    private async Task Supervise(Run run)
    {
        var delay = TimeSpan.FromSeconds(1);
        var max = TimeSpan.FromSeconds(Math.Max(1, options.Value.RestartBackoffMaxSeconds));
        try
        {
            while (true)
            {
                var p = run.Process!;
                var started = run.StartedAt;
                await p.WaitForExitAsync(CancellationToken.None);
                var code = p.ExitCode;
                // This silo saw the exit, so its ingest accounts for the run: the file is not needed.
                // A silo that is stopping keeps it for the next one, which checks the last batches arrived.
                if (!_shuttingDown && run.FinalFile is { } final)
                    CollectorFinalAccounts.Discard(final);
                if (run.Entry is { } entry)
                {
                    entry.Ready = false;
                    entry.Running = false;
                    entry.LastExitCode = code;
                }
                // .NET reports a death by signal N as 128 + N; the collector itself exits with 0 to 6
                // when it runs no command (a task's never does).
                int? signal = code > 128 ? code - 128 : null;
                int? exitCode = signal is null ? code : null;
                // What the collector said last explains an error exit; after a signal it is noise.
                var reason = Describe(code) + (code is >= 1 and <= 128 ? LastLine(run) : "");
                if (run.Stopping.IsCancellationRequested)
                {
                    run.State = "stopped";
                    run.Post(new CollectorEvent(CollectorEventKind.Stopped, DateTimeOffset.UtcNow, null, exitCode, signal, "stopped on request: " + reason, null));
                    return;
                }
                // Its machine grain marks the run gone (a run that sent its final batch stays stopped).
                await MarkGone(run, reason);
                if (code is >= 2 and <= 6)
                {
                    run.State = "failed";
                    LogFailed(run.TaskId, run.CollectorId, reason);
                    run.Post(new CollectorEvent(CollectorEventKind.Failed, DateTimeOffset.UtcNow, null, exitCode, signal, reason, null));
                    return;
                }
                if (DateTimeOffset.UtcNow - started >= TimeSpan.FromMinutes(1))
                    delay = TimeSpan.FromSeconds(1);
                run.State = "restarting";
                Interlocked.Increment(ref run.Restarts);
                LogRestart(run.TaskId, run.CollectorId, reason, delay.TotalSeconds);
                run.Post(new CollectorEvent(CollectorEventKind.Exited, DateTimeOffset.UtcNow, null, exitCode, signal, reason, delay.TotalSeconds));
                try
                {
                    await Task.Delay(delay, run.Stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    run.State = "stopped";
                    run.Post(new CollectorEvent(CollectorEventKind.Stopped, DateTimeOffset.UtcNow, null, null, null, "stopped on request while waiting to restart", null));
                    return;
                }
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, max.TotalSeconds));
                lock (run.Gate)
                {
                    if (run.Stopping.IsCancellationRequested)
                    {
                        run.State = "stopped";
                        run.Post(new CollectorEvent(CollectorEventKind.Stopped, DateTimeOffset.UtcNow, null, null, null, "stopped on request while waiting to restart", null));
                        return;
                    }
                    try
                    {
                        StartProcess(run);
                    }
                    catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
                    {
                        run.State = "failed";
                        LogFailed(run.TaskId, run.CollectorId, e.Message);
                        run.Post(new CollectorEvent(CollectorEventKind.Failed, DateTimeOffset.UtcNow, null, null, null, "cannot restart the collector: " + e.Message, null));
                        return;
                    }
                }
            }
        }
        finally
        {
            run.Events.Writer.TryComplete();
        }
    }

    private async Task MarkGone(Run run, string reason)
    {
        if (_shuttingDown)
            return;
        try
        {
            await grains.GetGrain<IMachineGrain>(machine.Id).CollectorGone(run.CollectorId, 0, reason);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogReportFailed(run.TaskId, CollectorEventKind.Exited, e.Message);
        }
    }

    /// <summary>Hands the run's events to its task grain, one at a time, in order.</summary>
    private async Task PumpEvents(Run run)
    {
        var task = grains.GetGrain<IMonitoringTaskGrain>(run.TaskId);
        await foreach (var e in run.Events.Reader.ReadAllAsync())
        {
            if (_shuttingDown)
                continue;
            try
            {
                await task.Report(e);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogReportFailed(run.TaskId, e.Kind, ex.Message);
            }
        }
    }

    private async Task StopRun(Run run)
    {
        Process? p;
        lock (run.Gate)
        {
            run.Stopping.Cancel();
            p = run.Process;
        }
        if (p is not null)
        {
            try
            {
                if (!p.HasExited)
                {
                    _ = Kill(p.Id, 15); // SIGTERM: the collector drains, flushes and sends its final batch
                    using var grace = new CancellationTokenSource(StopGrace);
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
            }
            catch (InvalidOperationException)
            {
                // Never started or already reaped.
            }
        }
        // The loop sees the exit and ends; it never waits on the task grain.
        await run.Loop.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        LogStopped(run.TaskId, run.CollectorId);
    }

    private static string Describe(int code) => code switch
    {
        > 128 => $"killed by signal {(code - 128).ToString(CultureInfo.InvariantCulture)}{SignalName(code - 128)}",
        0 => "exited with code 0",
        1 => "exited with code 1 (runtime error)",
        2 => "exited with code 2 (bad arguments)",
        3 => "exited with code 3 (missing privileges)",
        4 => "exited with code 4 (missing kernel BTF)",
        5 => "exited with code 5 (a target pid does not exist)",
        6 => "exited with code 6 (the kernel refused a probe)",
        _ => $"exited with code {code.ToString(CultureInfo.InvariantCulture)}",
    };

    private static string SignalName(int signal) => signal switch
    {
        9 => " (SIGKILL)",
        15 => " (SIGTERM)",
        6 => " (SIGABRT)",
        11 => " (SIGSEGV)",
        2 => " (SIGINT)",
        _ => "",
    };

    private static string LastLine(Run run)
    {
        lock (run.LastLines)
            return run.LastLines.Count > 0 ? ": " + run.LastLines.Last() : "";
    }

    /// <summary>The collector's version, as <c>scope-collector --version</c> prints it ("scope-collector 0.1.0 (…)" → "0.1.0").</summary>
    private async Task<string> VersionOf(string path)
    {
        if (_versions.TryGetValue(path, out var known))
            return known;
        var version = "unknown";
        try
        {
            var psi = new ProcessStartInfo(path, ["--version"]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var output = await p.StandardOutput.ReadToEndAsync(timeout.Token);
            await p.WaitForExitAsync(timeout.Token);
            var words = output.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (p.ExitCode == 0 && words.Length >= 2)
                version = words[1];
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            LogNoVersion(path, e.Message);
        }
        _versions[path] = version;
        return version;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId}: collector {CollectorId} started (pid {Pid}): {Args}")]
    private partial void LogStarted(string taskId, string collectorId, int pid, string args);

    [LoggerMessage(Level = LogLevel.Information, Message = "Collector {CollectorId}: {Line}")]
    private partial void LogCollectorSaid(string collectorId, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: collector {CollectorId} {Reason}; restarting in {Seconds} s")]
    private partial void LogRestart(string taskId, string collectorId, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Task {TaskId}: collector {CollectorId} cannot run: {Reason}")]
    private partial void LogFailed(string taskId, string collectorId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {TaskId}: collector {CollectorId} stopped")]
    private partial void LogStopped(string taskId, string collectorId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {TaskId}: could not report {Kind} to the task: {Error}")]
    private partial void LogReportFailed(string taskId, CollectorEventKind kind, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the version of {Path}: {Error}")]
    private partial void LogNoVersion(string path, string error);
}
