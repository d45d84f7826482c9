using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Scope.Nginx.Tests;

/// <summary>
/// One scope-silo process in the core role (the API and the console, no collectors), started with
/// its settings as SCOPE__… variables; it can be killed with -9 as a crash would, and started again
/// with the same settings and ports.
/// </summary>
public sealed class SiloInstance : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private readonly string _repo;
    private readonly IReadOnlyDictionary<string, string> _settings;
    private Process? _process;
    private int _starts;

    public SiloInstance(string name, string repo, int apiPort, IReadOnlyDictionary<string, string> settings)
    {
        Name = name;
        _repo = repo;
        ApiPort = apiPort;
        _settings = settings;
    }

    public string Name { get; }
    public int ApiPort { get; }

    /// <summary>How nginx's access log names it.</summary>
    public string Upstream => $"127.0.0.1:{ApiPort.ToString(CultureInfo.InvariantCulture)}";

    public Uri Api => new($"http://{Upstream}");
    public bool Running => _process is { HasExited: false };

    /// <summary>Every start's output, one after the other.</summary>
    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public void Start()
    {
        var dll = Path.Combine(_repo, "silo", "Scope.Silo", "bin", "Release", "net10.0", "scope-silo.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} is missing: run `make build`");
        var psi = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _repo,
        };
        foreach (var a in new[] { dll, "--role", "core", "--config", Path.Combine(_repo, "deploy", "scope.json") })
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in _settings)
            psi.Environment[k] = v;
        _process?.Dispose();
        Append($"===== {Name}: start {(++_starts).ToString(CultureInfo.InvariantCulture)}");
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public async Task WaitHealthyAsync(int seconds = 180)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            if (!Running)
                throw new InvalidOperationException($"{this} exited during start-up:\n{Tail(Log)}");
            try
            {
                using var r = await http.GetAsync(new Uri(Api, "/health"));
                if (r.IsSuccessStatusCode)
                    return;
                last = $"{(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException e)
            {
                last = e.Message;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{this} not healthy after {seconds.ToString(CultureInfo.InvariantCulture)} s ({last}):\n{Tail(Log)}");
    }

    /// <summary>SIGKILL, as a crash would: no shutdown, its connections reset.</summary>
    public async Task Kill9Async()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: false);
            await p.WaitForExitAsync();
        }
    }

    /// <summary>SIGTERM, as systemd would; killed if it has not stopped in 20 s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            _ = Scope.Silo.E2E.Tests.Native.Kill(p.Id, 15);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await p.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill(entireProcessTree: true);
            }
        }
        _process?.Dispose();
    }

    public override string ToString() => $"silo {Name} ({Upstream})";

    public static string Tail(string log, int lines = 60)
    {
        var all = log.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
        {
            // Bounded: a silo that logs in a loop must not take the test's memory.
            if (_log.Length > 4_000_000)
                _log.Remove(0, 1_000_000);
            _log.AppendLine(line);
        }
    }
}
