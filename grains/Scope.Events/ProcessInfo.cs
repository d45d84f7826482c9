using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>struct scope_process_info</c>, 16 bytes: who the process is, in every lifecycle record.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct ProcessInfo
{
    /// <summary>Parent thread-group id.</summary>
    public uint Ppid;

    /// <summary>Real user id.</summary>
    public uint Uid;

    /// <summary>The cgroup v2 id.</summary>
    public ulong CgroupId;
}
