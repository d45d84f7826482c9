using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Scope.MultiHost.Tests;

/// <summary>One scope-silo, started inside a host's network namespace (`ip netns exec` execs it, so its pid is the silo's).</summary>
public sealed class SiloProcess : IDisposable
{
    private readonly StringBuilder _log = new();
    private readonly Process _process;

    public SiloProcess(string repo, HostNetwork.Host host, string role, IReadOnlyDictionary<string, string> settings)
    {
        Host = host;
        var dll = Path.Combine(repo, "silo", "Scope.Silo", "bin", "Release", "net10.0", "scope-silo.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} is missing: run `make build`");
        var psi = new ProcessStartInfo("ip")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repo,
        };
        foreach (var a in new[] { "netns", "exec", host.Namespace, "dotnet", dll, "--role", role, "--config", Path.Combine(repo, "deploy", "scope.json") })
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in settings)
            psi.Environment[k] = v;
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public HostNetwork.Host Host { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public void Kill9() => _process.Kill(entireProcessTree: false);

    public Task WaitForExitAsync(CancellationToken ct) => _process.WaitForExitAsync(ct);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }

    public override string ToString() => $"{Host.Name} silo (pid {Pid.ToString(CultureInfo.InvariantCulture)})";

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
