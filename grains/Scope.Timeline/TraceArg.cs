namespace Scope.Timeline;

#pragma warning disable CA1720 // the value types are Perfetto's own words: bool_value, int_value, uint_value, double_value, string_value

/// <summary>The type of a <see cref="TraceArg"/>'s value.</summary>
public enum TraceArgKind : byte
{
    /// <summary><see cref="TraceArg.BoolValue"/>.</summary>
    Bool,

    /// <summary><see cref="TraceArg.IntValue"/>.</summary>
    Int,

    /// <summary><see cref="TraceArg.UIntValue"/>.</summary>
    UInt,

    /// <summary><see cref="TraceArg.DoubleValue"/>.</summary>
    Double,

    /// <summary><see cref="TraceArg.StringValue"/>.</summary>
    String,
}

/// <summary>
/// One named value attached to a slice or an instant: a Perfetto debug annotation, a JSON event's
/// <c>args</c> entry. One of five types, so both formats can write it without boxing.
/// </summary>
public readonly record struct TraceArg
{
    private readonly ulong _bits;

    private TraceArg(string name, TraceArgKind kind, ulong bits, string? text)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Kind = kind;
        _bits = bits;
        StringValue = text;
    }

    /// <summary>The annotation's name.</summary>
    public string Name { get; }

    /// <summary>Which of the values is set.</summary>
    public TraceArgKind Kind { get; }

    /// <summary>The value of a <see cref="TraceArgKind.Bool"/>.</summary>
    public bool BoolValue => _bits != 0;

    /// <summary>The value of an <see cref="TraceArgKind.Int"/>.</summary>
    public long IntValue => unchecked((long)_bits);

    /// <summary>The value of a <see cref="TraceArgKind.UInt"/>.</summary>
    public ulong UIntValue => _bits;

    /// <summary>The value of a <see cref="TraceArgKind.Double"/>.</summary>
    public double DoubleValue => BitConverter.UInt64BitsToDouble(_bits);

    /// <summary>The value of a <see cref="TraceArgKind.String"/>; null for the other kinds.</summary>
    public string? StringValue { get; }

    /// <summary>A true/false annotation.</summary>
    public static TraceArg Bool(string name, bool value) => new(name, TraceArgKind.Bool, value ? 1UL : 0UL, null);

    /// <summary>A signed integer annotation.</summary>
    public static TraceArg Int(string name, long value) => new(name, TraceArgKind.Int, unchecked((ulong)value), null);

    /// <summary>An unsigned integer annotation.</summary>
    public static TraceArg UInt(string name, ulong value) => new(name, TraceArgKind.UInt, value, null);

    /// <summary>A floating-point annotation (finite: JSON has no NaN).</summary>
    public static TraceArg Double(string name, double value)
    {
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, "JSON cannot hold a value that is not finite.");
        return new(name, TraceArgKind.Double, BitConverter.DoubleToUInt64Bits(value), null);
    }

    /// <summary>A text annotation.</summary>
    public static TraceArg String(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(name, TraceArgKind.String, 0, value);
    }
}
#pragma warning restore CA1720
