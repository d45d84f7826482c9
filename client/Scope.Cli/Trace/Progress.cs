using System.Diagnostics;
using System.Globalization;

namespace Scope.Cli.Trace;

/// <summary>A live line on a terminal's stderr: elapsed time, events a second, drops. Nothing when stderr is not a terminal.</summary>
internal sealed class Progress : IAsyncDisposable
{
    private readonly LocalPipeline _pipeline;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private bool _drawn;

    public Progress(LocalPipeline pipeline)
    {
        _pipeline = pipeline;
        _loop = Console.IsErrorRedirected ? Task.CompletedTask : Task.Run(Loop);
    }

    public TimeSpan Elapsed => _clock.Elapsed;

    private async Task Loop()
    {
        long last = 0;
        var lastTime = _clock.Elapsed;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                long now = _pipeline.Records;
                var t = _clock.Elapsed;
                double rate = (now - last) / Math.Max(1e-3, (t - lastTime).TotalSeconds);
                (last, lastTime) = (now, t);
                ulong drops = _pipeline.KernelDrops.Aggregate(0UL, (a, b) => a + b) + _pipeline.SendDrops + _pipeline.Gaps;
                Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                    $"\r\x1b[2Kscope: {t.TotalSeconds,6:F1} s  {rate,9:N0} events/s  {now:N0} events  {drops:N0} dropped"));
                _drawn = true;
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        await _stop.CancelAsync();
        await _loop;
        if (_drawn)
            Console.Error.Write("\r\x1b[2K");
    }
}
