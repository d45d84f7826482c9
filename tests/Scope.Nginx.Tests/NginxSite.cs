using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Scope.Nginx.Tests;

/// <summary>
/// The shipped deploy/nginx/scope.conf made to run in a test: only what its header says differs
/// between installations is replaced (the silos, the listen ports and the https port in the redirect,
/// the access log's directory); the certificate comes through its own include, scope/tls.conf,
/// written by deploy/nginx/make-dev-cert.sh. Each replacement must find its line exactly as shipped,
/// so a changed configuration fails here rather than being tested half-rendered.
/// </summary>
public sealed class NginxSite
{
    public const string Nginx = "/usr/sbin/nginx";

    public NginxSite(string repo, string directory, int httpPort, int httpsPort, IReadOnlyList<int> siloPorts)
    {
        Repo = repo;
        Directory = directory;
        HttpPort = httpPort;
        HttpsPort = httpsPort;
        SiloPorts = siloPorts;
    }

    public string Repo { get; }

    /// <summary>nginx's prefix: nginx.conf, scope.conf, scope/ (certificates and tls.conf), logs/, tmp/.</summary>
    public string Directory { get; }

    public int HttpPort { get; }
    public int HttpsPort { get; }
    public IReadOnlyList<int> SiloPorts { get; }

    public string Shipped => Path.Combine(Repo, "deploy", "nginx", "scope.conf");
    public string MainConf => Path.Combine(Directory, "nginx.conf");
    public string SiteConf => Path.Combine(Directory, "scope.conf");
    public string CertDirectory => Path.Combine(Directory, "scope");
    public string CaFile => Path.Combine(CertDirectory, "ca.pem");
    public string AccessLog => Path.Combine(Directory, "logs", "scope.access.log");

    /// <summary>The development CA and certificate for localhost, 127.0.0.1 and ::1, and scope/tls.conf.</summary>
    public async Task MakeCertificatesAsync()
    {
        var (code, output) = await RunAsync(Path.Combine(Repo, "deploy", "nginx", "make-dev-cert.sh"), CertDirectory);
        if (code != 0)
            throw new InvalidOperationException($"make-dev-cert.sh failed ({code.ToString(CultureInfo.InvariantCulture)}): {output}");
    }

    /// <summary>Writes scope.conf (the shipped one, rendered) and nginx.conf (the frame around it).</summary>
    public void Write()
    {
        foreach (var d in new[] { "logs", "tmp" })
            System.IO.Directory.CreateDirectory(Path.Combine(Directory, d));
        File.WriteAllText(SiteConf, Render(File.ReadAllText(Shipped)));
        File.WriteAllText(MainConf, Frame());
    }

    public string Render(string shipped)
    {
        var s = shipped;
        if (SiloPorts.Count != 2)
            throw new ArgumentException("the shipped upstream has two silos");
        s = Replace(s, "server 127.0.0.1:8080 ", $"server 127.0.0.1:{SiloPorts[0].ToString(CultureInfo.InvariantCulture)} ");
        s = Replace(s, "server 127.0.0.1:8082 ", $"server 127.0.0.1:{SiloPorts[1].ToString(CultureInfo.InvariantCulture)} ");
        s = Replace(s, "listen 80 default_server;", $"listen 127.0.0.1:{HttpPort.ToString(CultureInfo.InvariantCulture)} default_server;");
        s = Replace(s, "listen [::]:80 default_server;", "");
        s = Replace(s, "listen 443 ssl http2 default_server;", $"listen 127.0.0.1:{HttpsPort.ToString(CultureInfo.InvariantCulture)} ssl http2 default_server;");
        s = Replace(s, "listen [::]:443 ssl http2 default_server;", "");
        s = Replace(s, "return 301 https://$host$request_uri;", $"return 301 https://$host:{HttpsPort.ToString(CultureInfo.InvariantCulture)}$request_uri;");
        s = Replace(s, "/var/log/nginx/", Path.Combine(Directory, "logs") + "/", expected: 2);
        return s;
    }

    /// <summary>
    /// What Debian's /etc/nginx/nginx.conf is around conf.d/*.conf, with this test's paths: the pid,
    /// the error log (nginx's stderr, which the test keeps) and the temporary files.
    /// </summary>
    private string Frame()
    {
        var tmp = Path.Combine(Directory, "tmp");
        var b = new StringBuilder();
        b.AppendLine("worker_processes 2;");
        b.AppendLine(CultureInfo.InvariantCulture, $"pid {Path.Combine(Directory, "nginx.pid")};");
        b.AppendLine("error_log stderr notice;");
        b.AppendLine("events { worker_connections 1024; }");
        b.AppendLine("http {");
        foreach (var kind in new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" })
            b.AppendLine(CultureInfo.InvariantCulture, $"    {kind}_temp_path {Path.Combine(tmp, kind)};");
        b.AppendLine(CultureInfo.InvariantCulture, $"    include {SiteConf};");
        b.AppendLine("}");
        return b.ToString();
    }

    public Task<(int Code, string Output)> TestAsync() => RunAsync(Nginx, "-t", "-p", Directory + "/", "-c", MainConf);

    /// <summary>`nginx -T`: the configuration as nginx parsed it, every include inlined.</summary>
    public Task<(int Code, string Output)> DumpAsync() => RunAsync(Nginx, "-T", "-p", Directory + "/", "-c", MainConf);

    /// <summary>Started in the foreground (daemon off), so that the master's pid is this process's and its stderr is kept.</summary>
    public ProcessStartInfo StartInfo()
    {
        var psi = new ProcessStartInfo(Nginx) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-p", Directory + "/", "-c", MainConf, "-g", "daemon off;" })
            psi.ArgumentList.Add(a);
        return psi;
    }

    private static string Replace(string text, string shipped, string rendered, int expected = 1)
    {
        int count = 0;
        for (int at = text.IndexOf(shipped, StringComparison.Ordinal); at >= 0; at = text.IndexOf(shipped, at + shipped.Length, StringComparison.Ordinal))
            count++;
        if (count != expected)
            throw new InvalidOperationException($"deploy/nginx/scope.conf: expected '{shipped}' {expected.ToString(CultureInfo.InvariantCulture)} time(s), found it {count.ToString(CultureInfo.InvariantCulture)}: update the test's rendering with the configuration");
        return text.Replace(shipped, rendered, StringComparison.Ordinal);
    }

    public static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}
