using System.Diagnostics;
using System.Globalization;

namespace Scope.MultiHost.Tests;

/// <summary>
/// Hosts as network namespaces: a bridge in the root namespace (the "LAN", where PostgreSQL listens
/// on .1) and one namespace per host, joined to it by a veth pair, each with its own address. The
/// hosts share the kernel and the pid space; only their network is their own.
/// </summary>
public sealed class HostNetwork : IDisposable
{
    /// <summary>Every name this class creates starts with this, so leftovers of a killed run can be found.</summary>
    private const string Prefix = "scmh";

    private readonly List<string> _namespaces = [];

    public HostNetwork()
    {
        RemoveLeftovers();
        Id = Guid.NewGuid().ToString("N")[..4];
#pragma warning disable CA5394 // a test subnet, not a secret
        Subnet = $"10.231.{Random.Shared.Next(10, 250).ToString(CultureInfo.InvariantCulture)}";
#pragma warning restore CA5394
        Ip("link", "add", Bridge, "type", "bridge");
        Ip("addr", "add", Gateway + "/24", "dev", Bridge);
        Ip("link", "set", Bridge, "up");
    }

    public string Id { get; }
    public string Subnet { get; }
    public string Gateway => Subnet + ".1";
    public string Cidr => Subnet + ".0/24";
    private string Bridge => $"{Prefix}{Id}br";

    /// <summary>A host: its namespace name and address (<c>Subnet.host</c>).</summary>
    public sealed record Host(string Name, string Namespace, string Address);

    public Host AddHost(string name, int host)
    {
        var ns = $"{Prefix}{Id}-{name}";
        var veth = $"{Prefix}{Id}{name}"[..Math.Min(15, $"{Prefix}{Id}{name}".Length)];
        Ip("netns", "add", ns);
        _namespaces.Add(ns);
        Ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns);
        Ip("link", "set", veth, "master", Bridge, "up");
        var address = $"{Subnet}.{host.ToString(CultureInfo.InvariantCulture)}";
        Ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0");
        Ip("-n", ns, "link", "set", "eth0", "up");
        Ip("-n", ns, "link", "set", "lo", "up");
        return new Host(name, ns, address);
    }

    /// <summary>The inode of a namespace's network namespace, to tell which host a process runs on.</summary>
    public static string NetnsOfProcess(int pid) => new FileInfo($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/ns/net").LinkTarget ?? "";

    public static string NetnsOf(Host host) => new FileInfo($"/run/netns/{host.Namespace}").Exists
        ? Run("stat", "-L", "-c", "net:[%i]", $"/run/netns/{host.Namespace}").Trim()
        : throw new InvalidOperationException("no namespace " + host.Namespace);

    public void Dispose()
    {
        foreach (var ns in _namespaces)
            TryIp("netns", "del", ns);
        TryIp("link", "del", Bridge);
    }

    private static void RemoveLeftovers()
    {
        foreach (var line in Run("ip", "netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (name.StartsWith(Prefix, StringComparison.Ordinal))
                TryIp("netns", "del", name);
        }
        foreach (var line in Run("ip", "-o", "link", "show", "type", "bridge").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(':', 3)[1].Trim();
            if (name.StartsWith(Prefix, StringComparison.Ordinal))
                TryIp("link", "del", name);
        }
    }

    public static void Ip(params string[] args) => Run("ip", args);

    private static void TryIp(params string[] args)
    {
        try
        {
            Run("ip", args);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {p.ExitCode.ToString(CultureInfo.InvariantCulture)}: {stderr}");
        return stdout.Result;
    }
}
