namespace Scope.Events.Tests;

/// <summary>The histogram math against a literal port of scope_events.h and the golden generator's Python.</summary>
public sealed class HistogramTests
{
    public static TheoryData<ulong> Boundaries()
    {
        var values = new SortedSet<ulong> { 0, 1, 2, 3, 4, 5, 6, 7, 8, ulong.MaxValue, ulong.MaxValue - 1, 1ul << 48, (1ul << 48) - 1, (1ul << 48) + 1 };
        for (int k = 2; k < 64; k++)
        {
            values.Add((1ul << k) - 1);
            values.Add(1ul << k);
            values.Add((1ul << k) + 1);
            values.Add(3ul << (k - 1));
            values.Add((3ul << (k - 1)) - 1);
        }

        return new TheoryData<ulong>(values);
    }

    [Theory]
    [MemberData(nameof(Boundaries))]
    public void Bucket_is_scope_hist_bucket(ulong v) => Assert.Equal(ScopeHistBucket(v), Histogram.Bucket(v));

    [Fact]
    public void Small_values()
    {
        Assert.Equal([0, 0, 2, 3, 4, 4, 5, 5, 6], Enumerable.Range(0, 9).Select(v => Histogram.Bucket((ulong)v)));
        Assert.Equal(95, Histogram.Bucket(ulong.MaxValue));
        Assert.Equal(95, Histogram.Bucket(1ul << 48));
        Assert.Equal(94, Histogram.Bucket((1ul << 47) + 1));
        Assert.Equal(95, Histogram.Bucket(3ul << 46));
    }

    [Fact]
    public void Lower_is_the_first_value_of_its_bucket()
    {
        Assert.Equal(0ul, Histogram.Lower(0));
        Assert.Equal(0ul, Histogram.Lower(1));
        for (int b = 2; b < Histogram.Buckets; b++)
        {
            ulong lo = Histogram.Lower(b);
            Assert.Equal((ulong)(2 + (b & 1)) << ((b / 2) - 1), lo);
            Assert.Equal(b, Histogram.Bucket(lo));

            // The value below starts the previous bucket's range, except that 1 is in bucket 0 (bucket 1 is never used).
            Assert.Equal(b == 2 ? 0 : b - 1, Histogram.Bucket(lo - 1));
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => Histogram.Lower(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Histogram.Lower(96));
    }

    [Fact]
    public void Quantile_matches_the_python_reference()
    {
        uint[] empty = new uint[96];
        Assert.Equal(0ul, Histogram.Quantile(empty, 0.5));

        var rng = new Random(1234);
        for (int round = 0; round < 500; round++)
        {
            uint[] buckets = new uint[96];
            int filled = rng.Next(1, 6);
            for (int i = 0; i < filled; i++)
            {
                buckets[rng.Next(0, 96)] += (uint)rng.Next(1, round % 7 == 0 ? int.MaxValue : 1000);
            }

            foreach (double q in new[] { 0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0, 1.5 })
            {
                Assert.Equal(PythonQuantile(buckets, q), Histogram.Quantile(buckets, q));
            }
        }
    }

    [Fact]
    public void Quantile_of_one_sample_in_bucket_zero_and_the_last()
    {
        uint[] b = new uint[96];
        b[0] = 1;
        Assert.Equal(2ul, Histogram.Quantile(b, 0.5)); // rank 1 of 1: the top of [0, 2)
        b[0] = 0;
        b[95] = 4;
        Assert.Equal(Histogram.Lower(95), Histogram.Quantile(b, 0.99));
        Assert.Throws<ArgumentException>(() => Histogram.Quantile(new uint[97], 0.5));
    }

    // scope_log2_u64 and scope_hist_bucket from bpf/scope_events.h, line for line.
    private static int ScopeHistBucket(ulong v)
    {
        if (v < 2)
        {
            return 0;
        }

        uint r = 0, shift;
        ulong x = v;
        shift = (x > 0xFFFFFFFFul ? 1u : 0u) << 5; x >>= (int)shift; r |= shift;
        shift = (x > 0xFFFF ? 1u : 0u) << 4; x >>= (int)shift; r |= shift;
        shift = (x > 0xFF ? 1u : 0u) << 3; x >>= (int)shift; r |= shift;
        shift = (x > 0xF ? 1u : 0u) << 2; x >>= (int)shift; r |= shift;
        shift = (x > 0x3 ? 1u : 0u) << 1; x >>= (int)shift; r |= shift;
        uint m = r | (uint)(x >> 1);
        uint b = (2 * m) + (uint)((v >> (int)(m - 1)) & 1);
        return b < 96 ? (int)b : 95;
    }

    // hist_quantile from tests/golden/make_vectors.py (totals stay far below 2^53, so Python's exact int/float comparison agrees).
    private static ulong PythonQuantile(uint[] buckets, double q)
    {
        ulong total = 0;
        foreach (uint n in buckets)
        {
            total += n;
        }

        if (total == 0)
        {
            return 0;
        }

        double rank = Math.Max(1.0, q * total);
        ulong seen = 0;
        for (int b = 0; b < buckets.Length; b++)
        {
            if (buckets[b] == 0)
            {
                continue;
            }

            if (seen + buckets[b] >= rank)
            {
                ulong lo = b < 2 ? 0 : (ulong)(2 + (b & 1)) << ((b / 2) - 1);
                ulong hi = b == 0 ? 2 : b + 1 < 96 ? (ulong)(2 + ((b + 1) & 1)) << (((b + 1) / 2) - 1) : lo;
                return lo + (ulong)Math.Truncate((hi - lo) * ((rank - seen) / buckets[b]));
            }

            seen += buckets[b];
        }

        return 3ul << 46;
    }
}
