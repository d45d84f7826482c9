using System.Runtime.InteropServices;
using System.Text.Json;

namespace Scope.Cli.Trace;

/// <summary>
/// `scope trace`: starts the collector on CMD (or a pid), takes its batches through SCOPE's own
/// decoding and models in this process, and writes the trace and the summary. This is the one-shot
/// local mode; in the fleet only edge silos start collectors.
/// </summary>
internal static class TraceCommand
{
    /// <summary>Exit status when this machine cannot trace (not root): the collector's own code for it.</summary>
    public const int NoPrivileges = 3;

    /// <summary>Exit status when the collector is missing.</summary>
    public const int NoCollector = 1;

    private static readonly JsonSerializerOptions SummaryJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
    };

    public static async Task<int> RunAsync(TraceOptions o)
    {
        if (!CollectorProcess.IsRoot)
        {
            Console.Error.WriteLine("scope trace: tracing needs root (it loads eBPF programs): run it with sudo");
            return NoPrivileges;
        }
        if (CollectorProcess.Find() is not { } binary)
        {
            Console.Error.WriteLine("scope trace: the collector is missing: run `make build` (or set SCOPE_COLLECTOR to scope-collector)");
            return NoCollector;
        }
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(o.Output)!);
            await using var probe = File.Create(o.Output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"scope trace: cannot write the trace to {o.Output}: {e.Message}");
            return 2;
        }

        using var trace = TraceFile.Create(o.Output, o.Json);
        var pipeline = new LocalPipeline(trace.Add);
        using var inbox = new BatchInbox();
        using var collector = CollectorProcess.Start(binary, o, inbox.Endpoint);
        inbox.Start(collector.Secret, (h, payload) => pipeline.Add(h, payload));

        // Ctrl-C and SIGTERM stop the trace, not this process: the collector passes them to the command
        // (in the terminal they reach the command directly too) and sends what it holds.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; collector.Signal(2); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; collector.Signal(15); });

        int exitCode;
        await using (var progress = new Progress(pipeline))
        {
            if (o.Duration is { } d)
            {
                var finished = collector.WaitForExitAsync();
                if (await Task.WhenAny(finished, Task.Delay(d)) != finished)
                    collector.Interrupt();
            }
            await collector.WaitForExitAsync();
            exitCode = collector.ExitCode;
            // The collector's last batches may still be in flight: wait for the one it marks final,
            // or for the stream to go quiet.
            while (!inbox.FinalSeen && inbox.IdleMs < 2000 && !inbox.Done.IsCompleted)
                await Task.Delay(50);
            inbox.Stop();
            await inbox.Done;
            trace.Complete();
            var summary = TraceSummary.Build(o, pipeline, inbox.Rejected, o.Command.Count > 0 ? exitCode : null, progress.Elapsed, o.Output);
            await progress.DisposeAsync();
            Console.Error.Write(SummaryText.Render(summary));
            if (trace.Clipped + trace.Dropped > 0)
                Console.Error.WriteLine($"trace: {trace.Clipped} slices clipped and {trace.Dropped} left out to keep every thread's slices nested");
            if (o.SummaryJson is { } path)
                await File.WriteAllTextAsync(path, JsonSerializer.Serialize(summary, SummaryJson));
        }
        return exitCode;
    }
}
