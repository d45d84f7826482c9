using System.Diagnostics;

namespace Scope.Timeline.Tests;

/// <summary>
/// Runs protoc (Debian's protobuf-compiler) on a trace: an independent decoder, so the tests do not
/// check the writer with its own idea of the format.
/// </summary>
internal static class Protoc
{
    private static readonly string ProtoDirectory = AppContext.BaseDirectory;

    /// <summary>The trace as protoc's text format, through perfetto_trace.proto.</summary>
    public static string Decode(byte[] trace) =>
        Run(trace, "--decode=perfetto.protos.Trace", $"--proto_path={ProtoDirectory}", Path.Combine(ProtoDirectory, "perfetto_trace.proto"));

    /// <summary>The trace as protoc reads it without any schema.</summary>
    public static string DecodeRaw(byte[] trace) => Run(trace, "--decode_raw");

    private static string Run(byte[] input, params string[] args)
    {
        var start = new ProcessStartInfo("protoc")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
            start.ArgumentList.Add(a);
        using Process p = Process.Start(start) ?? throw new InvalidOperationException("protoc did not start");

        // Read both pipes while writing, so a large trace cannot deadlock on a full pipe.
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using (Stream stdin = p.StandardInput.BaseStream)
            stdin.Write(input);
        p.WaitForExit();
        string error = stderr.GetAwaiter().GetResult();
        Assert.True(p.ExitCode == 0, $"protoc {string.Join(' ', args)} failed ({p.ExitCode}): {error}");
        Assert.Equal("", error);
        return stdout.GetAwaiter().GetResult();
    }
}
