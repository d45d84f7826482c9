using Scope.Events;

namespace Scope.Timeline;

/// <summary>
/// Flow arrows of one process, from each kernel or graph launch to the first synchronize that waits
/// for it. A launch joins the queue of its stream; a synchronize takes the launches it covers that
/// entered before it did:
/// <list type="bullet">
/// <item>cudaDeviceSynchronize: every launch of its device (or of any, where a device is unknown);</item>
/// <item>cudaStreamSynchronize on the legacy default stream (stream 0 of a plain call, or
/// cudaStreamLegacy): also every launch of its device, since that stream waits for all blocking streams
/// and the records do not say which streams are non-blocking;</item>
/// <item>cudaStreamSynchronize on the per-thread default stream (stream 0 of a _ptsz/_ptds call, or
/// cudaStreamPerThread): the launches of that thread's per-thread stream;</item>
/// <item>cudaStreamSynchronize on any other stream: the launches on that stream.</item>
/// </list>
/// Failed launches enqueued nothing and get no flow; a failed synchronize still returned, so it ends flows.
/// </summary>
internal sealed class LaunchFlows(int maxPending)
{
    private const ulong LegacyStream = 1;
    private const ulong PerThreadStream = 2;

    private readonly Dictionary<(ulong Stream, uint Tid), List<Pending>> _queues = [];
    private int _pending;

    public static bool IsLaunch(CudaApi api) =>
        api is CudaApi.LaunchKernel or CudaApi.LaunchKernelExC or CudaApi.CuLaunchKernel or CudaApi.CuLaunchKernelEx or CudaApi.GraphLaunch;

    public static bool IsSync(CudaApi api) => api is CudaApi.DeviceSynchronize or CudaApi.StreamSynchronize;

    /// <summary>Queues a successful launch; its flow id, or 0 when the queue is full (no arrow then).</summary>
    public ulong Launch(in CudaCall c, ulong processUuid)
    {
        if (c.Ret != 0 || _pending >= maxPending)
            return 0;
        ulong id = TrackIds.Flow(processUuid, c.Hdr.Tid, c.Hdr.TsNs);
        var key = Key(c);
        if (!_queues.TryGetValue(key, out List<Pending>? queue))
        {
            queue = [];
            _queues[key] = queue;
        }

        queue.Add(new Pending(id, c.Hdr.TsNs, c.Device));
        _pending++;
        return id;
    }

    /// <summary>The flows a synchronize ends, removed from the queues; empty when it covers none.</summary>
    public ulong[] Synchronize(in CudaCall c)
    {
        if (_pending == 0)
            return [];
        var ended = new List<Pending>();
        var key = Key(c);
        bool all = (CudaApi)c.Api == CudaApi.DeviceSynchronize || key == (LegacyStream, 0u);
        if (all)
        {
            foreach (List<Pending> queue in _queues.Values)
                Take(queue, c, ended);
            foreach (var empty in _queues.Where(q => q.Value.Count == 0).Select(q => q.Key).ToList())
                _queues.Remove(empty);
        }
        else if (_queues.TryGetValue(key, out List<Pending>? queue))
        {
            Take(queue, c, ended);
            if (queue.Count == 0)
                _queues.Remove(key);
        }

        if (ended.Count == 0)
            return [];

        // Arrows in launch order, whatever the order of the streams.
        ended.Sort((a, b) => a.TsNs != b.TsNs ? a.TsNs.CompareTo(b.TsNs) : a.Id.CompareTo(b.Id));
        return [.. ended.Select(p => p.Id)];
    }

    private static (ulong Stream, uint Tid) Key(in CudaCall c)
    {
        ulong stream = c.Stream;
        bool perThreadCall = (c.Flags & (Wire.CudaPtsz | Wire.CudaPtds)) != 0;
        if (stream == PerThreadStream || (stream == 0 && perThreadCall))
            return (PerThreadStream, c.Hdr.Tid);
        return stream == 0 ? (LegacyStream, 0u) : (stream, 0u);
    }

    private void Take(List<Pending> queue, in CudaCall sync, List<Pending> ended)
    {
        int kept = 0;
        for (int i = 0; i < queue.Count; i++)
        {
            Pending p = queue[i];
            bool sameDevice = p.Device < 0 || sync.Device < 0 || p.Device == sync.Device;
            if (sameDevice && p.TsNs <= sync.Hdr.TsNs)
                ended.Add(p);
            else
                queue[kept++] = p;
        }

        _pending -= queue.Count - kept;
        queue.RemoveRange(kept, queue.Count - kept);
    }

    private readonly record struct Pending(ulong Id, ulong TsNs, int Device);
}
