using System.Globalization;

namespace Scope.Silo.Auth;

/// <summary>
/// An Argon2id hash in the PHC string format,
/// <c>$argon2id$v=19$m=MEMORY_KIB,t=ITERATIONS,p=LANES$SALT$HASH</c> (base64 without padding). The
/// parameters travel with each hash so that raising them later still verifies the old ones.
/// </summary>
public sealed record PhcHash(int MemoryKib, int Iterations, int Parallelism, byte[] Salt, byte[] Hash)
{
    private const string Prefix = "$argon2id$v=19$";

    // Bounds on what a stored string may ask for: a corrupted or hostile row must not make a login
    // allocate gigabytes or spin for minutes.
    private const int MaxMemoryKib = 1 << 20;
    private const int MaxIterations = 64;
    private const int MaxParallelism = 64;

    public string Format() =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}m={MemoryKib},t={Iterations},p={Parallelism}${Unpadded(Salt)}${Unpadded(Hash)}");

    public static bool TryParse(string? text, out PhcHash hash)
    {
        hash = null!;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var parts = text[Prefix.Length..].Split('$');
        if (parts.Length != 3)
            return false;
        int m = 0, t = 0, p = 0;
        foreach (var kv in parts[0].Split(','))
        {
            var eq = kv.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !int.TryParse(kv.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                return false;
            switch (kv[..eq])
            {
                case "m": m = v; break;
                case "t": t = v; break;
                case "p": p = v; break;
                default: return false;
            }
        }
        // Argon2 itself needs at least 8 KiB per lane.
        if (p is < 1 or > MaxParallelism || m < 8 * p || m > MaxMemoryKib || t is < 1 or > MaxIterations)
            return false;
        if (!TryDecode(parts[1], out var salt) || salt.Length < 8 || !TryDecode(parts[2], out var h) || h.Length is < 16 or > 64)
            return false;
        hash = new PhcHash(m, t, p, salt, h);
        return true;
    }

    private static string Unpadded(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static bool TryDecode(string text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length == 0)
            return false;
        var padded = text.TrimEnd('=');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        try
        {
            bytes = Convert.FromBase64String(padded);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
