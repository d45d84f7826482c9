using System.Numerics;

namespace Scope.Events;

/// <summary>
/// The latency histogram of <see cref="SyscallHist"/>: log-linear buckets, two per power of two.
/// Bucket 0 holds 0 and 1 ns; for v &gt;= 2 with m = floor(log2 v) the bucket is 2m + (the bit below
/// the top one), so bucket b &gt;= 2 starts at (2 + (b &amp; 1)) &lt;&lt; (b / 2 - 1) ns. The last bucket also
/// holds everything above 2^48 ns. The math is that of scope_events.h, collector-native/src/hist.c and
/// tests/golden/make_vectors.py, so the silo's quantiles equal the collector's.
/// </summary>
public static class Histogram
{
    /// <summary><c>SCOPE_HIST_BUCKETS</c>.</summary>
    public const int Buckets = 96;

    /// <summary>The bucket of a latency of <paramref name="ns"/> nanoseconds (<c>scope_hist_bucket</c>).</summary>
    public static int Bucket(ulong ns)
    {
        if (ns < 2)
        {
            return 0;
        }

        int m = BitOperations.Log2(ns);
        int b = (2 * m) + (int)((ns >> (m - 1)) & 1);
        return Math.Min(b, Buckets - 1);
    }

    /// <summary>The smallest latency bucket <paramref name="bucket"/> holds (<c>scope_hist_lower</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in 0..95.</exception>
    public static ulong Lower(int bucket)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bucket);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bucket, Buckets);
        return bucket < 2 ? 0 : (ulong)(2 + (bucket & 1)) << ((bucket / 2) - 1);
    }

    /// <summary>
    /// The q-quantile (0.5 for p50, 0.99 for p99): the sample of rank max(1, q * total), interpolated
    /// linearly inside its bucket. 0 for an empty histogram. Same floating-point steps as hist.c, so
    /// the same result to the nanosecond.
    /// </summary>
    /// <exception cref="ArgumentException">More than 96 buckets.</exception>
    public static ulong Quantile(ReadOnlySpan<uint> buckets, double q)
    {
        if (buckets.Length > Buckets)
        {
            throw new ArgumentException($"A histogram has at most {Buckets} buckets.", nameof(buckets));
        }

        ulong total = 0;
        foreach (uint n in buckets)
        {
            total += n;
        }

        if (total == 0)
        {
            return 0;
        }

        double rank = q * total;
        if (rank < 1)
        {
            rank = 1;
        }

        ulong seen = 0;
        for (int b = 0; b < buckets.Length; b++)
        {
            uint n = buckets[b];
            if (n == 0)
            {
                continue;
            }

            if (seen + n >= rank)
            {
                ulong lo = Lower(b);
                ulong hi = b == 0 ? 2 : b + 1 < buckets.Length ? Lower(b + 1) : lo;
                double frac = (rank - seen) / n;
                return lo + (ulong)((hi - lo) * frac);
            }

            seen += n;
        }

        // Only reached when q > 1 or q is NaN, as in hist.c.
        return Lower(buckets.Length - 1);
    }
}
