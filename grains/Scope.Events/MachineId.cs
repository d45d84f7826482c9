using System.Security.Cryptography;
using System.Text;

namespace Scope.Events;

/// <summary>
/// The machine id a collector reports: the first 32 hex digits of HMAC-SHA256 keyed with the raw
/// /etc/machine-id over "scope". It still tells machines apart and stays stable, but the raw id (which
/// other software uses as a secret-ish identifier) never leaves the machine. Same result as
/// scope_machine_id_protect in collector-native/src/machine_id.c.
/// </summary>
public static class MachineId
{
    /// <summary>The protected id of the machine whose machine-id file is <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file's first line is empty.</exception>
    public static string FromFile(string path = "/etc/machine-id")
    {
        ArgumentNullException.ThrowIfNull(path);
        string raw;
        using (var reader = new StreamReader(path))
        {
            raw = reader.ReadLine() ?? string.Empty;
        }

        if (Trim(raw).IsEmpty)
        {
            throw new InvalidDataException($"{path} holds no machine id.");
        }

        return Protect(raw);
    }

    /// <summary>Protects a raw machine id (surrounding whitespace and the final newline are ignored).</summary>
    /// <exception cref="ArgumentException">The id is empty or only whitespace.</exception>
    public static string Protect(string rawMachineId)
    {
        ArgumentNullException.ThrowIfNull(rawMachineId);
        ReadOnlySpan<char> id = Trim(rawMachineId);
        if (id.IsEmpty)
        {
            throw new ArgumentException("A machine id must not be empty.", nameof(rawMachineId));
        }

        byte[] key = new byte[Encoding.UTF8.GetByteCount(id)];
        Encoding.UTF8.GetBytes(id, key);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, "scope"u8, mac);
        return Convert.ToHexStringLower(mac[..16]);
    }

    // The C code's trimming: newline, CR, space and tab at the end; space and tab at the start.
    private static ReadOnlySpan<char> Trim(string raw) => raw.AsSpan().TrimEnd("\n\r \t").TrimStart(" \t");
}
