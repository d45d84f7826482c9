using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary><c>char[192]</c>: NUL-padded text (a file name).</summary>
[InlineArray(Length)]
public struct Text192
{
    /// <summary>The size in bytes.</summary>
    public const int Length = 192;

    private byte _element0;

    /// <summary>All 192 bytes, NUL padding included, without copying.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> AsSpan() => MemoryMarshal.CreateReadOnlySpan(in _element0, Length);

    /// <summary>
    /// The text up to the first NUL, with each invalid UTF-8 byte replaced by U+FFFD as the collector does.
    /// Allocates: for the edges (logs, APIs), not for the hot path.
    /// </summary>
    public readonly string AsString() => CText.ToString(AsSpan());
}
