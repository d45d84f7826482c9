using System.Globalization;
using System.Text;

namespace Scope.Cli.Trace;

/// <summary>The summary as a person reads it at the end of a run.</summary>
internal static class SummaryText
{
    public static string Render(TraceSummary s, int syscallRows = 15)
    {
        var b = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        b.AppendLine(inv, $"── scope trace: {string.Join(' ', s.Command)}");
        string exit = s.ExitCode?.ToString(inv) ?? "none (attached)";
        string drops = s.Drops.Total == 0 ? "0" : string.Create(inv,
            $"{s.Drops.Total:N0} (ring buffer {s.Drops.RingBuffer}, entry map {s.Drops.EntryMap}, counter map {s.Drops.CounterMap}, send {s.Drops.Send}, lost {s.Drops.Gaps})");
        b.AppendLine(inv, $"exit code {exit} · {s.ElapsedSeconds:F1} s · {s.Records:N0} records · {s.Processes.Count} processes · drops {drops}");

        if (s.Cuda.Calls > 0 || s.Cuda.Kernels.Count > 0)
        {
            b.AppendLine().AppendLine(inv, $"CUDA: {s.Cuda.Calls:N0} calls, GPU memory peak {Bytes(s.Cuda.PeakBytes)}");
            if (s.Cuda.Kernels.Count > 0)
            {
                Table(b, ["launches", "errors", "kernel"], s.Cuda.Kernels.Select(k => new[] { k.Count.ToString("N0", inv), k.Errors.ToString("N0", inv), k.Name }));
            }
            if (s.Cuda.Memcpy.Count > 0)
            {
                b.AppendLine("  memcpy:");
                Table(b, ["direction", "copies", "bytes", "sync bandwidth"], s.Cuda.Memcpy.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new[]
                {
                    m.Key, m.Value.Count.ToString("N0", inv), Bytes(m.Value.Bytes),
                    m.Value.SyncBandwidthBytesPerSecond is { } bw ? Bytes((long)bw) + "/s" : "–",
                }));
            }
            foreach (var e in s.Cuda.Errors)
                b.AppendLine(inv, $"  error: {e.Api} returned {e.Code} ×{e.Count}");
            foreach (var l in s.Cuda.Leaks)
            {
                b.AppendLine(inv, $"  leak: {Bytes(l.Bytes)} at 0x{l.Ptr:x} on device {l.Device} ({l.Api}, pid {l.Pid}), never freed");
                foreach (var f in l.PythonStack)
                    b.AppendLine(inv, $"      {f.Function ?? "?"} ({f.File ?? "?"}:{f.Line})");
                foreach (var f in l.Stack)
                    b.AppendLine(inv, $"      {f}");
            }
        }

        if (s.Python.Samples > 0)
        {
            b.AppendLine().AppendLine(inv, $"Python: {s.Python.Samples:N0} samples");
            long total = s.Python.Samples;
            Table(b, ["self", "inclusive", "function"], s.Python.Top.Select(f => new[]
            {
                Percent(f.Self, total), Percent(f.Inclusive, total), f.File is null ? f.Function : $"{f.Function} ({f.File})",
            }));
        }

        if (s.Syscalls.Count > 0)
        {
            b.AppendLine().AppendLine(inv, $"Syscalls: {s.Syscalls.Values.Sum(v => (long)v.Count):N0} calls, {s.Syscalls.Count} kinds");
            Table(b, ["count", "errors", "p50", "p99", "syscall"], s.Syscalls.Take(syscallRows).Select(kv => new[]
            {
                kv.Value.Count.ToString("N0", inv), kv.Value.Errors.ToString("N0", inv), Duration(kv.Value.P50Ns), Duration(kv.Value.P99Ns), kv.Key,
            }));
        }

        b.AppendLine().AppendLine(inv, $"trace: {s.Trace}");
        return b.ToString();
    }

    private static void Table(StringBuilder b, string[] head, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { head };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, head.Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        foreach (var r in all)
        {
            b.Append("  ");
            for (int c = 0; c < r.Length; c++)
            {
                // The last column (a name) is left-aligned and not padded; numbers are right-aligned.
                b.Append(c == r.Length - 1 ? r[c] : r[c].PadLeft(widths[c])).Append(c == r.Length - 1 ? "" : "  ");
            }
            b.AppendLine();
        }
    }

    public static string Bytes(long n)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double v = n;
        int u = 0;
        while (Math.Abs(v) >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return u == 0 ? string.Create(CultureInfo.InvariantCulture, $"{n} B") : string.Create(CultureInfo.InvariantCulture, $"{v:0.##} {units[u]}");
    }

    public static string Duration(ulong? ns) => ns switch
    {
        null => "–",
        < 1_000 => string.Create(CultureInfo.InvariantCulture, $"{ns} ns"),
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{ns / 1e3:0.#} µs"),
        < 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{ns / 1e6:0.#} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{ns / 1e9:0.##} s"),
    };

    private static string Percent(long part, long total) =>
        string.Create(CultureInfo.InvariantCulture, $"{100.0 * part / Math.Max(1, total):0.0}%");
}
