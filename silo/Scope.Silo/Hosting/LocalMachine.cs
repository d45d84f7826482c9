using Scope.Events;

namespace Scope.Silo.Hosting;

/// <summary>This host as SCOPE names it: an app-specific HMAC of /etc/machine-id (never the raw id), or Scope:MachineId.</summary>
public sealed class LocalMachine(IConfiguration config)
{
    public string Id { get; } = config["Scope:MachineId"] is { Length: > 0 } id ? id : MachineId.FromFile();
    public string Hostname { get; } = Environment.MachineName;
    public string KernelRelease { get; } = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "unknown";
}
