using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>struct scope_py_frame frames[SCOPE_PY_MAX_FRAMES]</c>: the Python frames of a <see cref="PythonSample"/>.</summary>
[InlineArray(Length)]
public struct PyFrames64
{
    /// <summary>The number of elements (<see cref="Wire.PyMaxFrames"/>).</summary>
    public const int Length = Wire.PyMaxFrames;

    private PyFrame _element0;

    /// <summary>All elements, without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<PyFrame> AsSpan() => MemoryMarshal.CreateReadOnlySpan(in _element0, Length);
}
