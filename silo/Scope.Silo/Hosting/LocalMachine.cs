using Scope.Events;

namespace Scope.Silo.Hosting;

/// <summary>
/// This host as SCOPE names it: an app-specific HMAC of the machine id (never the raw id), or
/// Scope:MachineId (tests, and hosts whose id is not unique).
/// </summary>
public sealed class LocalMachine(IConfiguration config)
{
    /// <summary>
    /// Where the raw machine id is read, in order: systemd's file, then D-Bus's, which hosts without
    /// systemd (and some containers) have instead; on systemd hosts the second is often a link to the first.
    /// </summary>
    public static IReadOnlyList<string> MachineIdFiles { get; } = ["/etc/machine-id", "/var/lib/dbus/machine-id"];

    public string Id { get; } = config["Scope:MachineId"] is { Length: > 0 } id ? id : ProtectedIdFrom(MachineIdFiles);
    public string Hostname { get; } = Environment.MachineName;
    public string KernelRelease { get; } = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "unknown";

    /// <summary>The protected id from the first of <paramref name="files"/> that exists and holds an id.</summary>
    /// <exception cref="InvalidOperationException">None does; the message names them and the override.</exception>
    public static string ProtectedIdFrom(IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var tried = new List<string>();
        foreach (var path in files)
        {
            if (!File.Exists(path))
            {
                tried.Add($"{path}: missing");
                continue;
            }
            try
            {
                return MachineId.FromFile(path);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // An empty /etc/machine-id is normal in images before first boot: try the next file.
                tried.Add($"{path}: {e.Message}");
            }
        }
        throw new InvalidOperationException($"No machine id ({string.Join("; ", tried)}). Set Scope:MachineId (SCOPE__MachineId) to name this host.");
    }
}
