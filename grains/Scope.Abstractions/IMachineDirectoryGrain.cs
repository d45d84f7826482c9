namespace Scope.Abstractions;

/// <summary>
/// The machines whose host agents have registered (key: <see cref="MachineDirectory.Key"/>): a
/// cluster-wide grain each agent tells when it starts and at every heartbeat, so clients can list
/// machines by grain calls alone.
/// </summary>
public interface IMachineDirectoryGrain : IGrainWithStringKey
{
    Task Register(string machineId);

    /// <summary>Machine ids, in the order they first registered.</summary>
    Task<IReadOnlyList<string>> List();
}

public static class MachineDirectory
{
    /// <summary>The one directory grain's key.</summary>
    public const string Key = "all";
}
