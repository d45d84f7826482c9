namespace Scope.Timeline;

/// <summary>
/// Syscalls per second of one process in fixed buckets of time, from its per-call records. The newest
/// bucket stays open across a flush (more of its syscalls may come), so every bucket is written once,
/// whole; a syscall for a bucket already written is counted as late and left out of the rate. After a
/// bucket followed by a gap, a zero marks the rate's fall.
/// </summary>
internal sealed class SyscallRate(ulong bucketNs)
{
    private readonly SortedDictionary<ulong, long> _buckets = [];
    private ulong? _lastWritten;

    /// <summary>Counts a syscall that entered at <paramref name="tsNs"/>; false when its bucket was already written.</summary>
    public bool Count(ulong tsNs)
    {
        ulong b = tsNs / bucketNs;
        if (_lastWritten is ulong last && b <= last)
            return false;
        _buckets[b] = _buckets.GetValueOrDefault(b) + 1;
        return true;
    }

    public int Pending => _buckets.Count;

    /// <summary>The finished buckets as (start ns, syscalls per second); all of them when <paramref name="all"/>.</summary>
    public void Drain(bool all, List<(ulong TsNs, double PerSecond)> output)
    {
        double perSecond = 1e9 / bucketNs;
        while (_buckets.Count > (all ? 0 : 1))
        {
            (ulong b, long n) = _buckets.First();
            _buckets.Remove(b);
            output.Add((b * bucketNs, n * perSecond));
            _lastWritten = b;
            ulong? next = _buckets.Count > 0 ? _buckets.First().Key : null;
            if ((next is null && all) || next > b + 1)
            {
                output.Add(((b + 1) * bucketNs, 0));
                _lastWritten = b + 1;
            }
        }
    }
}
