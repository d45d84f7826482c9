using System.Text;
using System.Text.Unicode;

namespace Scope.Events;

/// <summary>
/// C strings from the kernel: they end at the first NUL (or the buffer's end) and may hold any bytes.
/// Invalid UTF-8 becomes U+FFFD one byte at a time, exactly as jb_str in collector-native/src/jbuf.c
/// does, so the C and C# decoders print the same text (this differs from Encoding.UTF8, which replaces
/// a whole truncated sequence with one U+FFFD).
/// </summary>
internal static class CText
{
    /// <summary>The most bytes <see cref="Sanitize"/> writes for <paramref name="length"/> input bytes.</summary>
    public static int MaxSanitizedLength(int length) => length * 3;

    /// <summary>The bytes before the first NUL.</summary>
    public static ReadOnlySpan<byte> UntilNul(ReadOnlySpan<byte> s)
    {
        int nul = s.IndexOf((byte)0);
        return nul < 0 ? s : s[..nul];
    }

    /// <summary>Valid UTF-8 by jbuf.c's rules (which are the Unicode ones: no overlongs, surrogates or values above U+10FFFF).</summary>
    public static bool IsValid(ReadOnlySpan<byte> s) => Utf8.IsValid(s);

    /// <summary>Copies <paramref name="s"/> (already cut at its NUL) into <paramref name="dst"/>, each invalid byte as U+FFFD.</summary>
    public static int Sanitize(ReadOnlySpan<byte> s, Span<byte> dst)
    {
        int o = 0;
        for (int i = 0; i < s.Length;)
        {
            int len = SequenceLength(s[i..]);
            if (len > 0)
            {
                s.Slice(i, len).CopyTo(dst[o..]);
                o += len;
                i += len;
            }
            else
            {
                dst[o++] = 0xEF;
                dst[o++] = 0xBF;
                dst[o++] = 0xBD;
                i++;
            }
        }

        return o;
    }

    /// <summary>The text of a NUL-terminated (or full) buffer.</summary>
    public static string ToString(ReadOnlySpan<byte> s)
    {
        s = UntilNul(s);
        if (IsValid(s))
        {
            return Encoding.UTF8.GetString(s);
        }

        byte[] buffer = new byte[MaxSanitizedLength(s.Length)];
        int n = Sanitize(s, buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    // utf8_len in jbuf.c: the length of a valid sequence at the start of s, or 0.
    private static int SequenceLength(ReadOnlySpan<byte> s)
    {
        uint c = s[0];
        int len;
        uint min;
        if (c < 0x80)
        {
            return 1;
        }
        else if ((c & 0xE0) == 0xC0)
        {
            (len, min, c) = (2, 0x80, c & 0x1F);
        }
        else if ((c & 0xF0) == 0xE0)
        {
            (len, min, c) = (3, 0x800, c & 0x0F);
        }
        else if ((c & 0xF8) == 0xF0)
        {
            (len, min, c) = (4, 0x10000, c & 0x07);
        }
        else
        {
            return 0;
        }

        if (len > s.Length)
        {
            return 0;
        }

        for (int i = 1; i < len; i++)
        {
            if ((s[i] & 0xC0) != 0x80)
            {
                return 0;
            }

            c = (c << 6) | (uint)(s[i] & 0x3F);
        }

        return c < min || c > 0x10FFFF || c is >= 0xD800 and <= 0xDFFF ? 0 : len;
    }
}
