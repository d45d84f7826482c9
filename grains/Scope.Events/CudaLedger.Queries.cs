using System.Globalization;

namespace Scope.Events;

// The views of a CudaLedger: built on request from its state, names resolved now.
public sealed partial class CudaLedger
{
    private static readonly string[] s_directions = ["H2H", "H2D", "D2H", "D2D", "Default", "Unknown"];

    private static readonly Comparison<CudaLiveAllocation> s_oldestFirst = (a, b) =>
        a.UnixNs != b.UnixNs ? a.UnixNs.CompareTo(b.UnixNs) : a.Seq.CompareTo(b.Seq);

    /// <summary>Everything the ledger counts, as of now.</summary>
    public CudaSummary Summary()
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach ((ushort api, long n) in _calls)
        {
            string name = CudaNames.ApiOrNumber(api);
            calls[name] = calls.GetValueOrDefault(name) + n;
        }

        var copies = new List<CudaCopyStat>();
        for (int i = 0; i < _copies.Length; i++)
        {
            CudaCopyState s = _copies[i];
            if (s.Count == 0)
                continue;
            double? bandwidth = s.SyncDurationNs > 0 ? s.SyncBytes / (double)s.SyncDurationNs * 1e9 : null;
            copies.Add(new CudaCopyStat(s_directions[i], s.Count, s.Bytes, s.DurationNs, s.SyncCount, s.SyncBytes, s.SyncDurationNs, bandwidth));
        }

        List<CudaErrorStat> errors = _errors
            .Select(e => new CudaErrorStat(CudaNames.ApiOrNumber(e.Key.Api), e.Key.Code, e.Value))
            .OrderByDescending(e => e.Count)
            .ThenBy(e => e.Api, StringComparer.Ordinal)
            .ThenBy(e => e.Code)
            .ToList();

        return new CudaSummary(
            Operations,
            calls,
            DeviceViews(),
            _hostPinned,
            _hostPinnedPeak,
            copies,
            errors,
            LiveCount,
            _unknownFrees,
            _untracked,
            KernelGroups().Count,
            _launches,
            Exited,
            Exited ? _exitUnixNs : null,
            _firstUnixNs,
            _lastUnixNs);
    }

    /// <summary>Up to <paramref name="limit"/> live allocations (VMM handles and mappings included), oldest first.</summary>
    public IReadOnlyList<CudaAllocation> LiveAllocations(int limit)
    {
        if (limit <= 0)
            return [];

        // A bounded heap keeps the oldest `limit` without sorting a million entries for a page of them.
        var kept = new PriorityQueue<CudaLiveAllocation, CudaLiveAllocation>(Comparer<CudaLiveAllocation>.Create((a, b) => s_oldestFirst(b, a)));
        foreach (CudaLiveAllocation a in AllLive())
        {
            if (kept.Count < limit)
                kept.Enqueue(a, a);
            else if (s_oldestFirst(a, kept.Peek()) < 0)
                kept.DequeueEnqueue(a, a);
        }

        var list = new List<CudaLiveAllocation>(kept.Count);
        while (kept.TryDequeue(out CudaLiveAllocation? a, out _))
            list.Add(a);
        list.Reverse();
        return list.ConvertAll(View);
    }

    /// <summary>Up to <paramref name="limit"/> kernels, most launched first; launches of functions that share a name are summed.</summary>
    public IReadOnlyList<CudaKernelStat> Kernels(int limit)
    {
        if (limit <= 0)
            return [];
        return KernelGroups().Values
            .OrderByDescending(k => k.Launches)
            .ThenBy(k => k.Name, StringComparer.Ordinal)
            .Take(limit)
            .Select(k => k.ToView())
            .ToList();
    }

    /// <summary>
    /// The leaks, largest first. Once the process has exited, every allocation it still held
    /// ("alive_at_exit", aged at the exit); before that, those live longer than <paramref name="olderThan"/>
    /// (default <see cref="CudaLedgerOptions.LeakAge"/>) at <paramref name="nowUnixNs"/> ("older_than_age").
    /// </summary>
    public IReadOnlyList<CudaLeak> Leaks(long nowUnixNs, TimeSpan? olderThan = null)
    {
        IEnumerable<(CudaLiveAllocation A, long Age)> leaks;
        string reason;
        if (Exited)
        {
            reason = "alive_at_exit";
            leaks = AllLive().Select(a => (a, Math.Max(0, _exitUnixNs - a.UnixNs)));
        }
        else
        {
            reason = "older_than_age";
            long minAge = Nanoseconds(olderThan ?? _options.LeakAge);
            leaks = AllLive().Select(a => (a, nowUnixNs - a.UnixNs)).Where(l => l.Item2 > minAge);
        }

        return leaks
            .OrderByDescending(l => l.A.Bytes)
            .ThenBy(l => l.A, Comparer<CudaLiveAllocation>.Create(s_oldestFirst))
            .Select(l => new CudaLeak(View(l.A), reason, l.Age))
            .ToList();
    }

    /// <summary>Bytes live now on each device the process used (-1: not known), without building a summary.</summary>
    public IEnumerable<(int Device, long CurrentBytes)> DeviceBytes()
    {
        foreach (var (device, d) in _devices)
            yield return (device, d.Current);
    }

    /// <summary>A flat sample of the totals, stamped <paramref name="nowUnixNs"/>.</summary>
    public CudaMetrics Metrics(long nowUnixNs) => new(
        nowUnixNs,
        DeviceViews(),
        _hostPinned,
        Operations,
        _launches,
        _errorCount,
        _copies[1].Bytes,
        _copies[2].Bytes,
        _copies[3].Bytes,
        LiveCount);

    // Saturates instead of wrapping for spans near TimeSpan.MaxValue.
    private static long Nanoseconds(TimeSpan t) =>
        t.Ticks > long.MaxValue / TimeSpan.NanosecondsPerTick ? long.MaxValue
        : t.Ticks < long.MinValue / TimeSpan.NanosecondsPerTick ? long.MinValue
        : t.Ticks * TimeSpan.NanosecondsPerTick;

    private List<CudaDeviceMemory> DeviceViews() =>
        _devices.OrderBy(d => d.Key).Select(d => d.Value.ToView(d.Key)).ToList();

    private IEnumerable<CudaLiveAllocation> AllLive() => _allocations.Values.Concat(_handles.Values).Concat(_maps.Values);

    private CudaAllocation View(CudaLiveAllocation a)
    {
        var frames = new CudaFrame[a.Stack.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            ulong ip = a.Stack[i];
            frames[i] = _symbols.TryGetValue(ip, out CudaSymbolName s)
                ? new CudaFrame(ip, s.Name, s.Offset, s.Module)
                : new CudaFrame(ip, null, 0, null);
        }

        var python = new CudaPythonFrame[a.Python.Length];
        for (int i = 0; i < python.Length; i++)
        {
            var f = a.Python[i];
            python[i] = _pyCodes.TryGetValue(f.Code, out var n) ? new CudaPythonFrame(n.Function, n.File, f.Line) : new CudaPythonFrame(null, null, f.Line);
        }

        return new CudaAllocation(a.Ptr, a.Bytes, a.Device, KindName(a.Kind), CudaNames.ApiOrNumber(a.Api), a.UnixNs, a.Tid, frames)
        {
            PythonStack = python,
        };
    }

    private static string KindName(CudaAllocationKind kind) => kind switch
    {
        CudaAllocationKind.Device => "device",
        CudaAllocationKind.Managed => "managed",
        CudaAllocationKind.Host => "host",
        CudaAllocationKind.VmmHandle => "vmm_handle",
        _ => "vmm_map",
    };

    // Launch stats are kept by function and named now: a registration may have come after the first
    // launches, and several functions (a stub and its kernel handle) may carry one name.
    private Dictionary<string, KernelGroup> KernelGroups()
    {
        var groups = new Dictionary<string, KernelGroup>(StringComparer.Ordinal);
        foreach ((ulong func, CudaKernelState k) in _kernels)
        {
            string name = KernelName(func) ?? string.Create(CultureInfo.InvariantCulture, $"0x{func:x}");
            if (!groups.TryGetValue(name, out KernelGroup? g))
            {
                g = new KernelGroup(name);
                groups[name] = g;
            }

            g.Add(func, k);
        }

        return groups;
    }

    /// <summary>
    /// The demangled name of the kernel a launch's <c>func</c> names (a host stub, a kernel handle, or a
    /// driver CUfunction), by the registrations and lookups applied so far; null when none named it.
    /// </summary>
    public string? KernelName(ulong func)
    {
        if (_names.TryGetValue(func, out string? name))
            return name;
        return _nameAliases.TryGetValue(func, out ulong kernel) && _names.TryGetValue(kernel, out name) ? name : null;
    }

    private sealed class KernelGroup(string name)
    {
        private readonly Dictionary<CudaShapeKey, long> _shapes = [];
        private ulong _func;
        private long _funcLaunches = -1;
        private long _errors;
        private long _totalCallNs;

        public string Name { get; } = name;

        public long Launches { get; private set; }

        public void Add(ulong func, CudaKernelState k)
        {
            if (k.Launches > _funcLaunches || (k.Launches == _funcLaunches && func < _func))
                (_func, _funcLaunches) = (func, k.Launches);
            Launches += k.Launches;
            _errors += k.Errors;
            _totalCallNs += k.TotalCallNs;
            foreach ((CudaShapeKey shape, long n) in k.Shapes)
                _shapes[shape] = _shapes.GetValueOrDefault(shape) + n;
        }

        public CudaKernelStat ToView() => new(
            Name,
            _func,
            Launches,
            _errors,
            _totalCallNs,
            _shapes
                .OrderByDescending(s => s.Value)
                .ThenBy(s => s.Key.GridX).ThenBy(s => s.Key.GridY).ThenBy(s => s.Key.GridZ)
                .ThenBy(s => s.Key.BlockX).ThenBy(s => s.Key.BlockY).ThenBy(s => s.Key.BlockZ)
                .Select(s => new CudaLaunchShape(s.Key.GridX, s.Key.GridY, s.Key.GridZ, s.Key.BlockX, s.Key.BlockY, s.Key.BlockZ, s.Value))
                .ToList());
    }
}
