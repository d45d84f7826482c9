using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Scope.Cli.Trace;

/// <summary>
/// The collector `scope trace` starts: SCOPE's own binary, with arguments built from checked options
/// (no shell), pushing batches signed with a secret made for this run to the CLI's socket. Its
/// standard streams are the CLI's, so the traced command's output reaches the terminal unchanged.
/// </summary>
internal sealed partial class CollectorProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _secretFile;

    private CollectorProcess(Process process, string secretFile)
    {
        _process = process;
        _secretFile = secretFile;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public Task WaitForExitAsync(CancellationToken ct = default) => _process.WaitForExitAsync(ct);

    /// <summary>The collector binary: $SCOPE_COLLECTOR, else the one built next to this CLI in its repository.</summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("SCOPE_COLLECTOR") is { Length: > 0 } env)
            return File.Exists(env) ? env : null;
        // bin/Release/net10.0 of client/Scope.Cli: five levels under the repository root.
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        for (int i = 0; i < 6 && dir is not null; i++, dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "collector-native", "build", "scope-collector");
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>The arguments for one run (pure, so tests can check them).</summary>
    public static List<string> Arguments(TraceOptions o, string endpoint, string secretFile)
    {
        var args = new List<string>
        {
            "--endpoint", endpoint,
            "--secret-file", secretFile,
            "--machine-id", "local",
            "--collector-id", "scope-trace",
            "--probes", o.Probes,
            "--die-with-parent",
            // Totals a second, so a long run's summary and progress stay current.
            "--counts-interval", "1",
        };
        if (o.Syscalls)
            args.AddRange(["--syscall-events", o.SyscallEvents]);
        if (o.PythonHz is { } hz)
            args.AddRange(["--python-hz", hz.ToString(CultureInfo.InvariantCulture)]);
        if (o.Pid is { } pid)
        {
            args.AddRange(["--pid", pid.ToString(CultureInfo.InvariantCulture), "--follow-children"]);
        }
        else
        {
            args.Add("--");
            args.AddRange(o.Command);
        }
        return args;
    }

    public static CollectorProcess Start(string binary, TraceOptions o, string endpoint)
    {
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var secretFile = Path.Combine(Path.GetTempPath(), $"scope-trace-{Environment.ProcessId}.secret");
        File.WriteAllText(secretFile, secret);
        File.SetUnixFileMode(secretFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var psi = new ProcessStartInfo(binary) { UseShellExecute = false };
        foreach (var a in Arguments(o, endpoint, secretFile))
            psi.ArgumentList.Add(a);
        try
        {
            return new CollectorProcess(Process.Start(psi)!, secretFile) { Secret = Convert.FromHexString(secret) };
        }
        catch
        {
            File.Delete(secretFile);
            throw;
        }
    }

    /// <summary>The key its batches are signed with.</summary>
    public byte[] Secret { get; private init; } = [];

    /// <summary>Asks it to stop as Ctrl-C would: it detaches, sends what it holds, and exits.</summary>
    public void Interrupt()
    {
        if (!_process.HasExited)
            _ = Kill(_process.Id, 2);
    }

    /// <summary>Passes a signal on (SIGINT, SIGTERM) to the collector, which passes it to the command.</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited)
            _ = Kill(_process.Id, signal);
    }

    public void Dispose()
    {
        File.Delete(_secretFile);
        if (!_process.HasExited)
        {
            try
            {
                _process.Kill();
            }
            catch (InvalidOperationException)
            {
                // exited meanwhile
            }
        }
        _process.Dispose();
    }

    public static bool IsRoot => GetEuid() == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
