using Microsoft.Extensions.Options;

namespace Scope.Silo.Traces;

/// <summary>Deletes rolling traces not written for <see cref="TraceOptions.RetentionDays"/>, at start and hourly.</summary>
internal sealed partial class TraceRetention(TraceFiles files, IOptions<TraceOptions> options, ILogger<TraceRetention> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.RetentionDays == 0)
            return;
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
        do
        {
            Sweep(DateTime.UtcNow - TimeSpan.FromDays(options.Value.RetentionDays));
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private void Sweep(DateTime before)
    {
        if (!Directory.Exists(files.Directory))
            return;
        foreach (var f in Directory.EnumerateFiles(files.Directory, "*.pftrace"))
        {
            try
            {
                if (File.GetLastWriteTimeUtc(f) < before)
                {
                    File.Delete(f);
                    LogDeleted(f);
                }
            }
            catch (IOException e)
            {
                LogFailed(f, e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted the rolling trace {Path}: older than the retention")]
    private partial void LogDeleted(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete the rolling trace {Path}: {Error}")]
    private partial void LogFailed(string path, string error);
}
