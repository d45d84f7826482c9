using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Scope.Nginx.Tests;

/// <summary>
/// Without a running front: `nginx -t` on the shipped configuration rendered with the development
/// certificates (and its refusal when the certificate is missing), what the trace and circuit
/// locations say as nginx parsed them, make-dev-cert.sh's own checks, and a silo refusing to start on
/// a malformed Scope:Proxy entry, naming it.
/// </summary>
public sealed class NginxConfigTests(ITestOutputHelper output) : IDisposable
{
    private readonly Stopwatch _step = Stopwatch.StartNew();
    private readonly string _dir = Directory.CreateTempSubdirectory("scope-nginx-t-").FullName;

    private static string Repo { get; } = FindRepo();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Step(string what)
    {
        output.WriteLine($"[{_step.Elapsed.TotalSeconds,6:0.0} s] {what}");
        _step.Restart();
    }

    [Fact]
    public async Task The_shipped_configuration_passes_nginx_t_with_the_development_certificate()
    {
        var site = new NginxSite(Repo, Path.Combine(_dir, "nginx"), NginxFront.FreePort(), NginxFront.FreePort(), [NginxFront.FreePort(), NginxFront.FreePort()]);
        await site.MakeCertificatesAsync();
        var (verify, verifyOutput) = await NginxSite.RunAsync("openssl", "verify", "-CAfile", site.CaFile, "-purpose", "sslserver", Path.Combine(site.CertDirectory, "localhost.pem"));
        Assert.True(verify == 0, verifyOutput);
        var san = (await NginxSite.RunAsync("openssl", "x509", "-in", Path.Combine(site.CertDirectory, "localhost.pem"), "-noout", "-ext", "subjectAltName")).Output;
        Assert.Contains("DNS:localhost", san, StringComparison.Ordinal);
        Assert.Contains("IP Address:127.0.0.1", san, StringComparison.Ordinal);
        var include = File.ReadAllText(Path.Combine(site.CertDirectory, "tls.conf"));
        Assert.Contains($"ssl_certificate     {site.CertDirectory}/localhost.pem;", include, StringComparison.Ordinal);
        Assert.Contains($"ssl_certificate_key {site.CertDirectory}/localhost.key;", include, StringComparison.Ordinal);
        Step("make-dev-cert.sh: a server certificate for localhost and 127.0.0.1 that verifies against its CA, and scope/tls.conf naming it");

        site.Write();
        var (code, test) = await site.TestAsync();
        output.WriteLine(test.Trim());
        Assert.True(code == 0, test);
        Assert.Contains("syntax is ok", test, StringComparison.Ordinal);
        Assert.Contains("test is successful", test, StringComparison.Ordinal);
        Step("nginx -t: the shipped scope.conf, rendered with test ports and the development certificate, passes");

        var (dumpCode, dump) = await site.DumpAsync();
        Assert.Equal(0, dumpCode);
        var traces = Block(dump, "location = /api/v1/traces {");
        Assert.Contains("proxy_buffering off;", traces, StringComparison.Ordinal);
        Assert.Contains("proxy_max_temp_file_size 0;", traces, StringComparison.Ordinal);
        var blazor = Block(dump, "location /_blazor {");
        Assert.Contains("proxy_read_timeout 1h;", blazor, StringComparison.Ordinal);
        Assert.Contains("proxy_buffering off;", blazor, StringComparison.Ordinal);
        // Inherited by every location only because none sets its own (see the comment in scope.conf).
        var negotiate = Block(dump, "location = /_blazor/negotiate {");
        Assert.Contains("proxy_next_upstream error timeout non_idempotent;", negotiate, StringComparison.Ordinal);
        foreach (var location in new[] { traces, blazor, negotiate, Block(dump, "location / {") })
        {
            Assert.DoesNotContain("add_header", location, StringComparison.Ordinal);
            Assert.DoesNotContain("proxy_set_header", location, StringComparison.Ordinal);
        }
        Step("nginx -T: trace downloads unbuffered with no temporary file, the circuit with long timeouts, its handshake resent on failure; no location drops the server's headers");

        // A second run keeps the CA (a browser that trusts it keeps trusting the new certificate).
        var ca = File.ReadAllText(site.CaFile);
        await site.MakeCertificatesAsync();
        Assert.Equal(ca, File.ReadAllText(site.CaFile));
        Assert.Empty(Directory.GetFiles(site.CertDirectory, ".*"));
        Step("make-dev-cert.sh again: same CA, no temporary file left");

        // -t really reads the include: without the key, the same configuration is refused.
        File.Delete(Path.Combine(site.CertDirectory, "localhost.key"));
        (code, test) = await site.TestAsync();
        Assert.NotEqual(0, code);
        Assert.Contains("localhost.key", test, StringComparison.Ordinal);
        Step("nginx -t without the certificate's key: refused, naming the file");

        var bad = Path.Combine(_dir, "with space");
        var (badCode, badOutput) = await NginxSite.RunAsync(Path.Combine(Repo, "deploy", "nginx", "make-dev-cert.sh"), bad);
        Assert.NotEqual(0, badCode);
        Assert.Contains("nginx's configuration would need quoted", badOutput, StringComparison.Ordinal);
        Assert.False(Directory.Exists(bad));
        Step("make-dev-cert.sh refuses a directory nginx could not name unquoted, before writing anything");
    }

    [Theory]
    [InlineData("SCOPE__Proxy__KnownNetworks", "10.0.0.1/24", "Scope:Proxy:KnownNetworks: '10.0.0.1/24' has address bits set past the /24 prefix: did you mean 10.0.0.0/24?")]
    [InlineData("SCOPE__Proxy__KnownNetworks", "127.0.0.1/32,10.0.0/24", "Scope:Proxy:KnownNetworks: '10.0.0/24' is not a network in CIDR notation")]
    [InlineData("SCOPE__Proxy__KnownProxies", "10.1", "Scope:Proxy:KnownProxies: '10.1' is not an IP address")]
    public async Task A_malformed_proxy_setting_stops_the_silo_naming_it(string variable, string value, string message)
    {
        var dll = Path.Combine(Repo, "silo", "Scope.Silo", "bin", "Release", "net10.0", "scope-silo.dll");
        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo };
        foreach (var a in new[] { dll, "--role", "core", "--config", Path.Combine(Repo, "deploy", "scope.json") })
            psi.ArgumentList.Add(a);
        psi.Environment[variable] = value;
        // Nothing to reach: the setting is read before the silo connects to anything.
        psi.Environment["SCOPE__Storage__ConnectionString"] = $"Host=127.0.0.1;Port={NginxFront.FreePort().ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=scope;Timeout=2";
        using var silo = Process.Start(psi)!;
        var stdout = silo.StandardOutput.ReadToEndAsync();
        var stderr = silo.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await silo.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            silo.Kill(entireProcessTree: true);
            throw new TimeoutException($"the silo with {variable}={value} did not stop:\n{await stdout}{await stderr}");
        }
        var all = await stdout + await stderr;
        Assert.NotEqual(0, silo.ExitCode);
        Assert.Contains(message, all, StringComparison.Ordinal);
        Step($"{variable}={value}: exit {silo.ExitCode.ToString(CultureInfo.InvariantCulture)}, \"{message}\"");
    }

    /// <summary>From <paramref name="start"/> to its closing brace, in `nginx -T` output.</summary>
    private static string Block(string dump, string start)
    {
        int at = dump.IndexOf(start, StringComparison.Ordinal);
        Assert.True(at >= 0, $"no '{start}' in the configuration nginx parsed");
        int end = dump.IndexOf('}', at);
        return dump[at..end];
    }

    private static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Scope.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("no Scope.sln above " + AppContext.BaseDirectory);
    }
}
