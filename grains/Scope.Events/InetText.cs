using System.Buffers.Binary;
using System.Globalization;

namespace Scope.Events;

/// <summary>
/// inet_ntop as glibc writes it, into UTF-8 without allocating. IPAddress.ToString is not used: its
/// IPv6 text differs from glibc's for some addresses (embedded IPv4 forms, scope ids), and the JSON
/// must match the C collector's.
/// </summary>
internal static class InetText
{
    /// <summary>Longest output: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is 45 bytes (INET6_ADDRSTRLEN - 1).</summary>
    public const int MaxLength = 46;

    /// <summary>Dotted quad of 4 bytes.</summary>
    public static int FormatIPv4(ReadOnlySpan<byte> a, Span<byte> dst)
    {
        int o = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                dst[o++] = (byte)'.';
            }

            a[i].TryFormat(dst[o..], out int n, default, CultureInfo.InvariantCulture);
            o += n;
        }

        return o;
    }

    /// <summary>
    /// glibc's inet_ntop6 (BIND's): lowercase hex words without leading zeros; the first longest run of
    /// two or more zero words becomes "::"; ::a.b.c.d and ::ffff:a.b.c.d end in a dotted quad.
    /// </summary>
    public static int FormatIPv6(ReadOnlySpan<byte> a, Span<byte> dst)
    {
        Span<ushort> words = stackalloc ushort[8];
        for (int i = 0; i < 8; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt16BigEndian(a[(2 * i)..]);
        }

        int bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
        for (int i = 0; i < 8; i++)
        {
            if (words[i] == 0)
            {
                if (curBase == -1)
                {
                    (curBase, curLen) = (i, 1);
                }
                else
                {
                    curLen++;
                }
            }
            else if (curBase != -1)
            {
                if (bestBase == -1 || curLen > bestLen)
                {
                    (bestBase, bestLen) = (curBase, curLen);
                }

                curBase = -1;
            }
        }

        if (curBase != -1 && (bestBase == -1 || curLen > bestLen))
        {
            (bestBase, bestLen) = (curBase, curLen);
        }

        if (bestBase != -1 && bestLen < 2)
        {
            bestBase = -1;
        }

        int o = 0;
        for (int i = 0; i < 8; i++)
        {
            if (bestBase != -1 && i >= bestBase && i < bestBase + bestLen)
            {
                if (i == bestBase)
                {
                    dst[o++] = (byte)':';
                }

                continue;
            }

            if (i != 0)
            {
                dst[o++] = (byte)':';
            }

            if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xFFFF)))
            {
                return o + FormatIPv4(a[12..], dst[o..]);
            }

            words[i].TryFormat(dst[o..], out int n, "x", CultureInfo.InvariantCulture);
            o += n;
        }

        if (bestBase != -1 && bestBase + bestLen == 8)
        {
            dst[o++] = (byte)':';
        }

        return o;
    }
}
