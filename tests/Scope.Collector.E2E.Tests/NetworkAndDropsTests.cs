using System.Net;
using System.Net.Sockets;

namespace Scope.Collector.E2E.Tests;

/// <summary>Socket addresses decoded from connect/accept, and losses in the kernel counted rather than hidden.</summary>
[Collection("collector")]
public sealed class NetworkAndDropsTests
{
    [Fact]
    public async Task Connect_and_accept_show_the_addresses_on_both_sides()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var acceptTask = listener.AcceptTcpClientAsync();

        // A real program connects out and serves one connection back, both traced.
        var script = $$"""
            import socket
            c = socket.create_connection(("127.0.0.1", {{port}}))
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
            print(s.getsockname()[1], flush=True)
            conn, peer = s.accept()
            print(peer[1], flush=True)
            """;
        var psi = new System.Diagnostics.ProcessStartInfo(CollectorRun.BinaryPath)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        var file = Path.Combine(Path.GetTempPath(), $"scope-e2e-{Guid.NewGuid():N}.jsonl");
        foreach (var a in new[] { "--syscall-events", "connect,accept,accept4", "--output", file, "--", "/usr/bin/python3.11", "-c", script })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        try
        {
            await Exchange(p, acceptTask, port, file);
        }
        finally
        {
            // A failed assertion must not leave the collector and its command waiting forever.
            if (!p.HasExited)
                p.Kill(entireProcessTree: true);
            File.Delete(file);
        }
    }

    private static async Task Exchange(System.Diagnostics.Process p, Task<TcpClient> acceptTask, int port, string file)
    {
        using (await acceptTask)
        {
        }
        var serverPort = int.Parse((await p.StandardOutput.ReadLineAsync())!, System.Globalization.CultureInfo.InvariantCulture);
        using var back = new TcpClient();
        await back.ConnectAsync(IPAddress.Loopback, serverPort);
        var ourPort = ((IPEndPoint)back.Client.LocalEndPoint!).Port;
        _ = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);

        var events = CollectorRun.ParseEvents(await File.ReadAllTextAsync(file));
        var connect = Assert.Single(events, e => e.IsSyscall("connect") && e.Args().GetProperty("addr").GetProperty("port").GetInt32() == port);
        Assert.Equal("inet", connect.Args().GetProperty("addr").GetProperty("family").GetString());
        Assert.Equal("127.0.0.1", connect.Args().GetProperty("addr").GetProperty("ip").GetString());
        Assert.Equal(0, connect.Long("ret"));

        var accept = Assert.Single(events, e => (e.IsSyscall("accept4") || e.IsSyscall("accept")) && e.Long("ret") >= 0);
        Assert.Equal(ourPort, accept.Args().GetProperty("addr").GetProperty("port").GetInt32());
        Assert.Equal("127.0.0.1", accept.Args().GetProperty("addr").GetProperty("ip").GetString());
        Assert.Equal(accept.Long("ret"), accept.ArgLong("new_fd"));
    }

    [Fact]
    public async Task A_full_ring_buffer_is_counted_per_cpu_and_reported()
    {
        // Two million one-byte copies, every syscall reported, into a 1 MiB ring: the reader cannot keep up.
        const int n = 1_000_000;
        var run = await CollectorRun.RunAsync("--ringbuf-mb", "1", "--syscall-events", "all", "--",
            "dd", "if=/dev/zero", "of=/dev/null", "bs=1", $"count={n}", "status=none");
        Assert.Equal(0, run.ExitCode);
        var drops = run.Events.Where(e => e.Type() == "drops").ToList();
        Assert.NotEmpty(drops);
        var last = drops[^1];
        var ringbuf = last.Long("ringbuf");
        Assert.True(ringbuf > 0, "a 1 MiB ring buffer kept up with every syscall of dd: the test did not overflow it");
        var perCpu = last.GetProperty("per_cpu").GetProperty("ringbuf").EnumerateArray().Sum(v => v.GetInt64());
        Assert.Equal(ringbuf, perCpu);
        Assert.Contains("events lost in the kernel", run.Stderr, StringComparison.Ordinal);
        // What was not delivered was counted: delivered + counted covers all that dd did.
        var delivered = run.Events.Count(e => (e.IsSyscall("read") || e.IsSyscall("write")) && e.ArgLong("bytes") == 1);
        Assert.True(delivered < 2 * n);
        Assert.True(delivered + ringbuf >= 2 * n, $"{delivered} delivered + {ringbuf} counted < {2 * n} one-byte copies");
    }
}
