namespace Scope.Collector.E2E.Tests;

/// <summary>These tests load real eBPF programs: they fail, never skip, when they cannot.</summary>
public sealed class RootFixture
{
    public RootFixture()
    {
        if (Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("USER"), "root", StringComparison.Ordinal))
        {
            // geteuid via /proc: the env may lie under sudo.
            var status = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var euid = status.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2];
            if (euid != "0")
                throw new InvalidOperationException("the collector end-to-end tests need root (CI runs them as root)");
        }
        if (!File.Exists(CollectorRun.BinaryPath))
            throw new InvalidOperationException($"{CollectorRun.BinaryPath} is missing: run `make build` first");
    }
}

[CollectionDefinition("collector")]
public sealed class CollectorTests : ICollectionFixture<RootFixture>;
