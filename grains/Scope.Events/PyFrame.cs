using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_py_frame</c> (16 bytes): one Python frame of a <see cref="PythonSample"/>. The code
/// object is an address in the sampled process; the <see cref="PythonCode"/> record with the same pid
/// and code names it.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct PyFrame
{
    /// <summary>The frame's <c>PyCodeObject</c>, an address in the process.</summary>
    public ulong Code;

    /// <summary>Index of the executing instruction, in code units; -1 when unknown.</summary>
    public int Instr;

    /// <summary>The executing line, filled in by the collector from the code object's line table; 0 when unknown.</summary>
    public uint Line;
}
