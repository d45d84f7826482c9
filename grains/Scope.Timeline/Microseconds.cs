namespace Scope.Timeline;

/// <summary>
/// Boot-time ns as the JSON format's microseconds: an exact decimal ("1234.567"), never a double, which
/// cannot hold ns precision past about 104 days of uptime.
/// </summary>
internal static class Microseconds
{
    /// <summary>The most bytes <see cref="Format"/> writes: 17 integer digits, a point, 3 decimals.</summary>
    public const int MaxLength = 21;

    public static int Format(ulong ns, Span<byte> destination)
    {
        ulong whole = ns / 1000;
        uint fraction = (uint)(ns % 1000);
        whole.TryFormat(destination, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
        if (fraction == 0)
            return n;
        destination[n++] = (byte)'.';
        destination[n++] = (byte)('0' + fraction / 100);
        fraction %= 100;
        if (fraction == 0)
            return n;
        destination[n++] = (byte)('0' + fraction / 10);
        fraction %= 10;
        if (fraction != 0)
            destination[n++] = (byte)('0' + fraction);
        return n;
    }

    public static string ToString(ulong ns)
    {
        Span<byte> text = stackalloc byte[MaxLength];
        return System.Text.Encoding.ASCII.GetString(text[..Format(ns, text)]);
    }
}
