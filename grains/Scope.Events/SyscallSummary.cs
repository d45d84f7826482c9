using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// The syscall table of one process from its <see cref="SyscallCounts"/> and <see cref="SyscallHist"/>
/// records: counts, errors and time as the kernel counted them, and latency percentiles from the
/// histograms. Both kinds of record are cumulative, so the newest report of a syscall replaces older
/// ones. Plain C#, so the silo and the CLI share it. Not thread-safe.
/// </summary>
public sealed class SyscallSummary
{
    private readonly Dictionary<uint, Row> _rows = [];

    /// <summary>Applies one record; types other than 6 and 7 and malformed records are ignored.</summary>
    public void Apply(ReadOnlySpan<byte> record)
    {
        if (record.Length < Wire.EventHeaderSize)
            return;
        var type = (RecordType)BinaryPrimitives.ReadUInt16LittleEndian(record);
        if (type is not (RecordType.SyscallCounts or RecordType.SyscallHist))
            return;
        int size = Wire.RecordSize(type);
        if (record.Length < size || BinaryPrimitives.ReadUInt16LittleEndian(record[2..]) != size)
            return;
        if (type == RecordType.SyscallCounts)
        {
            ref readonly var c = ref MemoryMarshal.AsRef<SyscallCounts>(record[..size]);
            foreach (var e in c.Valid)
            {
                var row = RowOf(e.Nr);
                // Cumulative: a later report never counts less.
                if (e.Count >= row.Count)
                    (row.Count, row.Errors, row.TotalNs) = (e.Count, e.Errors, e.TotalNs);
            }
        }
        else
        {
            ref readonly var h = ref MemoryMarshal.AsRef<SyscallHist>(record[..size]);
            var buckets = h.Buckets.AsSpan();
            var row = RowOf(h.Nr);
            if (row.Histogram is null || Sum(buckets) >= Sum(row.Histogram))
                row.Histogram = buckets.ToArray();
        }
    }

    /// <summary>Adds another process's table to this one (counts and histograms summed), for a summary of several processes.</summary>
    public void Add(SyscallSummary other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (nr, o) in other._rows)
        {
            var row = RowOf(nr);
            row.Count += o.Count;
            row.Errors += o.Errors;
            row.TotalNs += o.TotalNs;
            if (o.Histogram is { } h)
            {
                row.Histogram ??= new uint[h.Length];
                for (int i = 0; i < h.Length; i++)
                    row.Histogram[i] += h[i];
            }
        }
    }

    /// <summary>Syscalls by count, most first (then by name); percentiles are null without a histogram (counts-only mode).</summary>
    public IReadOnlyList<SyscallStat> Rows(SyscallTable? table = null)
    {
        table ??= SyscallTable.Default;
        return [.. _rows
            .Where(r => r.Value.Count > 0 || r.Value.Histogram is not null)
            .Select(r => new SyscallStat(
                table.Name(r.Key), r.Key, r.Value.Count, r.Value.Errors, r.Value.TotalNs,
                r.Value.Histogram is { } h ? Histogram.Quantile(h, 0.50) : null,
                r.Value.Histogram is { } h2 ? Histogram.Quantile(h2, 0.99) : null))
            .OrderByDescending(s => s.Count)
            .ThenBy(s => s.Name, StringComparer.Ordinal)];
    }

    private Row RowOf(uint nr)
    {
        ref var row = ref CollectionsMarshal.GetValueRefOrAddDefault(_rows, nr, out _);
        return row ??= new Row();
    }

    private static ulong Sum(ReadOnlySpan<uint> buckets)
    {
        ulong n = 0;
        foreach (var b in buckets)
            n += b;
        return n;
    }

    private sealed class Row
    {
        public ulong Count;
        public ulong Errors;
        public ulong TotalNs;
        public uint[]? Histogram;
    }
}

/// <summary>One syscall of a <see cref="SyscallSummary"/>.</summary>
/// <param name="Name">Its name (sys_N when the table does not know it).</param>
/// <param name="Nr">Its number.</param>
/// <param name="Count">Calls.</param>
/// <param name="Errors">Calls that returned an error.</param>
/// <param name="TotalNs">Summed latency.</param>
/// <param name="P50Ns">Median latency; null without a histogram.</param>
/// <param name="P99Ns">99th percentile latency; null without a histogram.</param>
public sealed record SyscallStat(string Name, uint Nr, ulong Count, ulong Errors, ulong TotalNs, ulong? P50Ns, ulong? P99Ns);
