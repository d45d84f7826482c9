using System.Globalization;
using System.Text;
using Scope.Events;

namespace Scope.Timeline;

// What each record type adds to the timeline.
public sealed partial class TimelineBuilder
{
    private void OnExec(in ProcessExec e)
    {
        ProcessTimeline p = Process(e.Hdr);
        p.Comm = e.Hdr.Comm.AsString();
        p.NameSettled = true;
        p.CommandLine = e.Arguments();
        var args = new List<TraceArg> { TraceArg.String("filename", e.Filename.AsString()), TraceArg.UInt("argc", e.Argc) };
        if (e.OldPid != 0)
            args.Add(TraceArg.UInt("old_pid", e.OldPid));
        if (e.ArgvTruncated)
            args.Add(TraceArg.Bool("argv_truncated", true));
        p.Instants++;
        AddInstant(p.Uuid, e.Hdr.TsNs, "exec", TimelineCategories.Process, [.. args]);
    }

    private void OnExit(in ProcessExit x)
    {
        ProcessTimeline p = Process(x.Hdr);
        p.Exited = true;
        p.Instants++;
        AddInstant(p.Uuid, x.Hdr.TsNs, "exit", TimelineCategories.Process,
        [
            TraceArg.Int("exit_code", x.ExitCode),
            TraceArg.UInt("signal", x.Signal),
            TraceArg.Bool("core_dumped", x.CoreDumped),
        ]);
    }

    // The kernel's uretprobe trampoline enters this syscall at the return of every function a tracer
    // (SCOPE itself) probes with a uretprobe: it is the tracer's cost, not the program's work, and it
    // straddles the end of the probed call, so as a slice it would only break the nesting.
    private static readonly int s_uretprobeNr = SyscallTable.Default.Number("uretprobe");

    private void OnSyscall(in Syscall sc, string? path)
    {
        if (sc.Nr == s_uretprobeNr)
        {
            TracerSyscalls++;
            return;
        }

        ProcessTimeline p = Process(sc.Hdr);
        if (!p.Rate.Count(sc.Hdr.TsNs))
            LateSyscalls++;

        ThreadTimeline? t = Thread(p, sc.Hdr);
        if (t is null || !Reserve())
            return;
        TraceArg[] args = sc.NoReturn ? [] : path is null ? [TraceArg.Int("ret", sc.Ret)] : [TraceArg.Int("ret", sc.Ret), TraceArg.String("path", path)];
        t.Slices.Add(new TimelineSlice(sc.Hdr.TsNs, End(sc.Hdr.TsNs, sc.DurNs), SliceLayer.Syscall, SliceStrength.Real, _seq++)
        {
            Name = SyscallTable.Default.Name(sc.Nr),
            Category = TimelineCategories.Syscall,
            Args = args,
        });
    }

    private void OnCudaCall(in CudaCall c, ReadOnlySpan<byte> record)
    {
        ProcessTimeline p = Process(c.Hdr);
        p.Ledger.Apply(record, 0);
        var api = (CudaApi)c.Api;
        ulong end = End(c.Hdr.TsNs, c.DurNs);
        ThreadTimeline? t = Thread(p, c.Hdr);
        if (t is null)
            return;

        // The Python stack taken at this very call spans the call.
        if (t.AtCuda is (ulong heldTs, ulong[] codes) && heldTs == c.Hdr.TsNs)
        {
            t.AtCuda = null;
            AddPoint(t, heldTs, end, codes);
        }

        string apiName = CudaNames.ApiWithVariant(c.Api, c.Flags);
        bool kernel = LaunchFlows.IsLaunch(api) && api != CudaApi.GraphLaunch;
        var slice = new TimelineSlice(c.Hdr.TsNs, end, SliceLayer.Cuda, SliceStrength.Real, _seq)
        {
            Name = apiName,
            KernelFunc = kernel ? c.Func : null,
            Category = TimelineCategories.Cuda,
            Args = CudaArgs(c, apiName, kernel),
        };
        bool kept = Reserve();
        if (kept)
        {
            _seq++;
            t.Slices.Add(slice);
            if (LaunchFlows.IsLaunch(api))
                slice.FlowOut = p.Flows.Launch(c, p.Uuid);
        }

        // A synchronize ends its flows even when its own slice could not be kept: they must not attach to a later one.
        if (LaunchFlows.IsSync(api))
            slice.FlowsIn = p.Flows.Synchronize(c);

        if (c.Ret != 0)
        {
            t.Instants++;
            AddInstant(t.Uuid, c.Hdr.TsNs, string.Create(CultureInfo.InvariantCulture, $"{apiName} failed: {c.Ret}"), TimelineCategories.CudaError,
                [TraceArg.String("api", apiName), TraceArg.Int("ret", c.Ret)]);
        }
        else if (ChangesMemory(api))
        {
            UpdateMemory(p, end);
        }
    }

    private void OnPythonSample(in PythonSample s)
    {
        ProcessTimeline p = Process(s.Hdr);
        ThreadTimeline? t = Thread(p, s.Hdr);
        if (t is null)
            return;
        if (s.Truncated)
        {
            // Its outermost frames are missing, so its frames cannot be lined up with the others.
            Dropped++;
            return;
        }

        ReadOnlySpan<PyFrame> frames = s.ValidFrames;
        ulong[] codes = new ulong[frames.Length];
        for (int i = 0; i < codes.Length; i++)
            codes[i] = frames[frames.Length - 1 - i].Code;

        if ((s.Flags & Wire.PyAtCuda) == 0)
        {
            AddPoint(t, s.Hdr.TsNs, s.Hdr.TsNs, codes);
            return;
        }

        // Held for the call that follows; one whose call never came still says where the thread was.
        if (t.AtCuda is (ulong staleTs, ulong[] stale))
            AddPoint(t, staleTs, staleTs, stale);
        t.AtCuda = (s.Hdr.TsNs, codes);
    }

    private void OnPythonCall(in PythonCall c)
    {
        ProcessTimeline p = Process(c.Hdr);
        ThreadTimeline? t = Thread(p, c.Hdr);
        if (t is null || !Reserve())
            return;
        t.Slices.Add(new TimelineSlice(c.Hdr.TsNs, End(c.Hdr.TsNs, c.DurNs), SliceLayer.Python, SliceStrength.Real, _seq++)
        {
            Name = c.Function.AsString(),
            Category = TimelineCategories.Python,
            Args = [TraceArg.String("file", c.File.AsString()), TraceArg.UInt("line", c.Line), TraceArg.UInt("depth", c.Depth)],
        });
    }

    private void AddPoint(ThreadTimeline t, ulong start, ulong end, ulong[] codes)
    {
        if (Reserve())
            t.Points.Add(new PythonPoint(start, end, codes, _seq++));
    }

    // Device totals move only through these calls; the ledger's accounting says by how much.
    private static bool ChangesMemory(CudaApi api) => api is CudaApi.Malloc or CudaApi.MallocAsync or CudaApi.MallocManaged
        or CudaApi.MallocHost or CudaApi.CuMemAlloc or CudaApi.CuMemCreate or CudaApi.CuMemMap
        or CudaApi.Free or CudaApi.FreeAsync or CudaApi.FreeHost or CudaApi.CuMemFree or CudaApi.CuMemRelease or CudaApi.CuMemUnmap;

    private void UpdateMemory(ProcessTimeline p, ulong tsNs)
    {
        foreach (var (device, bytes) in p.Ledger.DeviceBytes())
        {
            if (p.DeviceBytes.TryGetValue(device, out long last) && last == bytes)
                continue;
            p.DeviceBytes[device] = bytes;
            p.MemoryDevicesInChunk.Add(device);
            AddCounter(TrackIds.GpuMemory(p.Uuid, device), tsNs, bytes, 0);
        }
    }

    private static TraceArg[] CudaArgs(in CudaCall c, string apiName, bool kernel)
    {
        var api = (CudaApi)c.Api;
        var args = new List<TraceArg>(8);
        if (kernel)
            args.Add(TraceArg.String("api", apiName));
        args.Add(TraceArg.Int("ret", c.Ret));
        if (c.Bytes != 0)
            args.Add(TraceArg.UInt("bytes", c.Bytes));
        if (c.Kind >= 0)
            args.Add(TraceArg.String("kind", CudaNames.Kind(c.Kind) ?? c.Kind.ToString(CultureInfo.InvariantCulture)));
        if (c.Address != 0)
            args.Add(TraceArg.String(api is CudaApi.CuMemCreate or CudaApi.CuMemRelease ? "handle" : "ptr", Hex(c.Address)));
        if (c.Src != 0)
            args.Add(TraceArg.String("src", Hex(c.Src)));
        if (kernel)
        {
            args.Add(TraceArg.String("func", Hex(c.Func)));
            ReadOnlySpan<uint> g = c.Grid.AsSpan(), b = c.Block.AsSpan();
            args.Add(TraceArg.String("grid", string.Create(CultureInfo.InvariantCulture, $"{g[0]}x{g[1]}x{g[2]}")));
            args.Add(TraceArg.String("block", string.Create(CultureInfo.InvariantCulture, $"{b[0]}x{b[1]}x{b[2]}")));
            if (c.SharedMem != 0)
                args.Add(TraceArg.UInt("shared_mem", c.SharedMem));
        }
        else if (api == CudaApi.GraphLaunch)
        {
            args.Add(TraceArg.String("graph", Hex(c.Func)));
        }

        if (HasStream(api))
            args.Add(TraceArg.String("stream", Hex(c.Stream)));
        if (c.Device >= 0)
            args.Add(TraceArg.Int("device", c.Device));
        return [.. args];
    }

    private static bool HasStream(CudaApi api) => LaunchFlows.IsLaunch(api) || api is CudaApi.StreamSynchronize
        or CudaApi.MallocAsync or CudaApi.FreeAsync or CudaApi.MemcpyAsync
        or CudaApi.CuMemcpyHtoDAsync or CudaApi.CuMemcpyDtoHAsync or CudaApi.CuMemcpyDtoDAsync;

    private static string Hex(ulong v) => string.Create(CultureInfo.InvariantCulture, $"0x{v:x}");

    // A duration that would run past the clock's end is cut there: records are untrusted.
    private static ulong End(ulong start, ulong dur) => dur > ulong.MaxValue - start ? ulong.MaxValue : start + dur;

    private static string PathOf(in SyscallData d)
    {
        ReadOnlySpan<byte> data = d.DataSpan;
        int nul = data.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul < 0 ? data : data[..nul]);
    }
}
