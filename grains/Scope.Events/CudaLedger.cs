using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// The CUDA ledger of one process: memory per device, live allocations with the stacks that made them,
/// copies, kernel launches and errors, built from that process's records as they arrive. Plain C#, so
/// the silo's grain and the CLI share it. Not thread-safe: one caller at a time (a grain serialises them).
/// </summary>
/// <remarks>
/// Only calls that returned 0 change memory state; every other call counts as an error. Names (of
/// kernels and of stack frames) are resolved when asked for, not when a launch or stack arrives, because
/// the registration or symbol record that names them may come later.
/// </remarks>
public sealed partial class CudaLedger
{
    // Bounds for tables the options do not cover, so garbage on the wire cannot grow them without end.
    // Real processes stay far below: one name per kernel, one symbol per distinct frame, one held stack per thread.
    private const int MaxNames = 1 << 20;
    private const int MaxSymbols = 1 << 20;
    private const int MaxKernels = 1 << 16;
    private const int MaxShapesPerKernel = 256;
    private const int MaxPendingStacks = 1 << 14;
    private const int UnknownDirection = 5;

    private readonly CudaLedgerOptions _options;

    // Live allocations in three tables, because their keys live in different spaces: addresses from
    // cudaMalloc and friends, allocation handles from cuMemCreate, and the addresses cuMemMap maps them at.
    private readonly Dictionary<ulong, CudaLiveAllocation> _allocations = [];
    private readonly Dictionary<ulong, CudaLiveAllocation> _handles = [];
    private readonly Dictionary<ulong, CudaLiveAllocation> _maps = [];

    private readonly Dictionary<int, CudaDeviceState> _devices = [];
    private readonly Dictionary<ushort, long> _calls = [];
    private readonly Dictionary<(ushort Api, int Code), long> _errors = [];
    private readonly CudaCopyState[] _copies = [new(), new(), new(), new(), new(), new()];
    private readonly Dictionary<ulong, CudaKernelState> _kernels = [];
    private readonly Dictionary<ulong, string> _names = [];
    private readonly Dictionary<ulong, ulong> _nameAliases = [];
    private readonly Dictionary<ulong, CudaSymbolName> _symbols = [];
    private readonly Dictionary<uint, CudaPendingStack> _pendingStacks = [];
    private readonly Dictionary<uint, CudaPendingPython> _pendingPython = [];
    private readonly Dictionary<ulong, (string Function, string File)> _pyCodes = [];
    private CudaPendingPython.Frame[] _callPython = [];

    private long _hostPinned;
    private long _hostPinnedPeak;
    private long _unknownFrees;
    private long _untracked;
    private long _launches;
    private long _errorCount;
    private long _exitUnixNs;
    private long _firstUnixNs;
    private long _lastUnixNs;
    private bool _anyRecord;
    private long _seq;

    /// <summary>An empty ledger.</summary>
    public CudaLedger(CudaLedgerOptions? options = null)
    {
        _options = options ?? new CudaLedgerOptions();
    }

    /// <summary>CUDA call records applied (registrations, stacks and symbols are not calls).</summary>
    public long Operations { get; private set; }

    /// <summary>The process's exit record has been applied.</summary>
    public bool Exited { get; private set; }

    private int LiveCount => _allocations.Count + _handles.Count + _maps.Count;

    /// <summary>
    /// Applies one record of this process. Record types the ledger does not use are ignored, and so is
    /// anything malformed (too short, or a size field that is not its type's): records come from the
    /// wire, and one bad record must not stop the rest.
    /// </summary>
    /// <param name="record">The record's bytes, header included.</param>
    /// <param name="unixOffsetNs">Added to the record's boot-time ns to give unix ns.</param>
    public void Apply(ReadOnlySpan<byte> record, long unixOffsetNs)
    {
        if (record.Length < Wire.EventHeaderSize)
            return;
        var type = (RecordType)BinaryPrimitives.ReadUInt16LittleEndian(record);
        int size = Wire.RecordSize(type);
        if (size == 0 || record.Length < size || BinaryPrimitives.ReadUInt16LittleEndian(record[2..]) != size)
            return;
        record = record[..size];
        switch (type)
        {
            case RecordType.CudaCall:
                ref readonly CudaCall call = ref MemoryMarshal.AsRef<CudaCall>(record);
                ApplyCall(call, Touch(call.Hdr, unixOffsetNs));
                break;
            case RecordType.CudaRegister:
                ref readonly CudaRegister reg = ref MemoryMarshal.AsRef<CudaRegister>(record);
                Touch(reg.Hdr, unixOffsetNs);
                ApplyRegister(reg);
                break;
            case RecordType.CudaStack:
                ref readonly CudaStack stack = ref MemoryMarshal.AsRef<CudaStack>(record);
                Touch(stack.Hdr, unixOffsetNs);
                HoldStack(stack);
                break;
            case RecordType.Symbol:
                ref readonly Symbol symbol = ref MemoryMarshal.AsRef<Symbol>(record);
                Touch(symbol.Hdr, unixOffsetNs);
                ApplySymbol(symbol);
                break;
            case RecordType.PythonSample:
                ref readonly PythonSample py = ref MemoryMarshal.AsRef<PythonSample>(record);
                if ((py.Flags & Wire.PyAtCuda) != 0)
                    HoldPython(py);
                break;
            case RecordType.PythonCode:
                ref readonly PythonCode code = ref MemoryMarshal.AsRef<PythonCode>(record);
                if (!code.Unreadable && (_pyCodes.Count < MaxSymbols || _pyCodes.ContainsKey(code.Code)))
                    _pyCodes[code.Code] = (code.Qualname.AsString(), code.Filename.AsString());
                break;
            case RecordType.ProcessExit:
                ref readonly ProcessExit exit = ref MemoryMarshal.AsRef<ProcessExit>(record);
                _exitUnixNs = Touch(exit.Hdr, unixOffsetNs);
                Exited = true;

                // No call can follow to claim them.
                _pendingStacks.Clear();
                _pendingPython.Clear();
                break;
        }
    }

    private long Touch(in EventHeader h, long unixOffsetNs)
    {
        long unix = unchecked((long)h.TsNs + unixOffsetNs);
        if (!_anyRecord)
        {
            (_firstUnixNs, _lastUnixNs, _anyRecord) = (unix, unix, true);
        }
        else
        {
            // Records of different CPUs may arrive slightly out of order.
            _firstUnixNs = Math.Min(_firstUnixNs, unix);
            _lastUnixNs = Math.Max(_lastUnixNs, unix);
        }

        return unix;
    }

    private void ApplyCall(in CudaCall c, long unixNs)
    {
        Operations++;
        _calls[c.Api] = _calls.GetValueOrDefault(c.Api) + 1;
        ulong[] stack = TakeStack(c);
        _callPython = TakePython(c);
        var api = (CudaApi)c.Api;
        bool failed = c.Ret != 0;
        if (failed)
        {
            _errorCount++;
            _errors[(c.Api, c.Ret)] = _errors.GetValueOrDefault((c.Api, c.Ret)) + 1;
        }

        if (api is CudaApi.LaunchKernel or CudaApi.LaunchKernelExC or CudaApi.CuLaunchKernel or CudaApi.CuLaunchKernelEx)
        {
            Launch(c, failed);
            return;
        }

        if (failed)
            return;

        switch (api)
        {
            case CudaApi.Malloc or CudaApi.MallocAsync or CudaApi.CuMemAlloc:
                Allocate(_allocations, CudaAllocationKind.Device, c, c.Device, unixNs, stack);
                break;
            case CudaApi.MallocManaged:
                Allocate(_allocations, CudaAllocationKind.Managed, c, c.Device, unixNs, stack);
                break;
            case CudaApi.MallocHost:
                Allocate(_allocations, CudaAllocationKind.Host, c, c.Device, unixNs, stack);
                break;
            case CudaApi.CuMemCreate:
                Allocate(_handles, CudaAllocationKind.VmmHandle, c, c.Device, unixNs, stack);
                break;
            case CudaApi.CuMemMap:
                // A mapping says nothing of the device; the handle it maps does.
                int device = c.Device < 0 && _handles.TryGetValue(c.Src, out CudaLiveAllocation? handle) ? handle.Device : c.Device;
                Allocate(_maps, CudaAllocationKind.VmmMap, c, device, unixNs, stack);
                break;
            case CudaApi.Free or CudaApi.FreeAsync or CudaApi.FreeHost or CudaApi.CuMemFree:
                Free(_allocations, c.Address);
                break;
            case CudaApi.CuMemRelease:
                Free(_handles, c.Address);
                break;
            case CudaApi.CuMemUnmap:
                Free(_maps, c.Address);
                break;
            case CudaApi.Memcpy or CudaApi.CuMemcpyHtoD or CudaApi.CuMemcpyDtoH or CudaApi.CuMemcpyDtoD:
                Copy(c, sync: true);
                break;
            case CudaApi.MemcpyAsync or CudaApi.CuMemcpyHtoDAsync or CudaApi.CuMemcpyDtoHAsync or CudaApi.CuMemcpyDtoDAsync:
                Copy(c, sync: false);
                break;
        }
    }

    private void Allocate(Dictionary<ulong, CudaLiveAllocation> table, CudaAllocationKind kind, in CudaCall c, int device, long unixNs, ulong[] stack)
    {
        // cudaMalloc of 0 bytes succeeds with a null pointer, and freeing null is a no-op: nothing to hold.
        if (c.Address == 0)
            return;

        // The address came back while the ledger still held it, so its free was not seen: let it go.
        if (table.Remove(c.Address, out CudaLiveAllocation? stale))
            Release(stale, countFree: false);

        if (LiveCount >= _options.MaxLiveAllocations)
        {
            _untracked++;
            return;
        }

        long bytes = (long)Math.Min(c.Bytes, long.MaxValue);
        var a = new CudaLiveAllocation(c.Address, bytes, device, kind, c.Api, unixNs, c.Hdr.Tid, stack, _seq++) { Python = _callPython };
        table[c.Address] = a;
        switch (kind)
        {
            case CudaAllocationKind.Host:
                _hostPinned += bytes;
                _hostPinnedPeak = Math.Max(_hostPinnedPeak, _hostPinned);
                break;
            case CudaAllocationKind.VmmMap:
                // Its physical memory is the handle's, counted when the handle was created.
                break;
            default:
                CudaDeviceState d = Device(device);
                d.Current += bytes;
                d.Allocations++;
                if (d.Current > d.Peak)
                {
                    d.Peak = d.Current;
                    d.PeakUnixNs = unixNs;
                }

                break;
        }
    }

    private void Free(Dictionary<ulong, CudaLiveAllocation> table, ulong key)
    {
        // cudaFree(0) is how programs initialise a context.
        if (key == 0)
            return;
        if (table.Remove(key, out CudaLiveAllocation? a))
            Release(a, countFree: true);
        else
            _unknownFrees++;
    }

    private void Release(CudaLiveAllocation a, bool countFree)
    {
        switch (a.Kind)
        {
            case CudaAllocationKind.Host:
                _hostPinned -= a.Bytes;
                break;
            case CudaAllocationKind.VmmMap:
                break;
            default:
                CudaDeviceState d = Device(a.Device);
                d.Current -= a.Bytes;
                if (countFree)
                    d.Frees++;
                break;
        }
    }

    private CudaDeviceState Device(int device)
    {
        if (!_devices.TryGetValue(device, out CudaDeviceState? d))
        {
            d = new CudaDeviceState();
            _devices[device] = d;
        }

        return d;
    }

    private void Copy(in CudaCall c, bool sync)
    {
        CudaCopyState s = _copies[c.Kind is >= 0 and < UnknownDirection ? c.Kind : UnknownDirection];
        long bytes = (long)Math.Min(c.Bytes, long.MaxValue);
        long ns = (long)Math.Min(c.DurNs, long.MaxValue);
        s.Count++;
        s.Bytes += bytes;
        s.DurationNs += ns;
        if (sync)
        {
            s.SyncCount++;
            s.SyncBytes += bytes;
            s.SyncDurationNs += ns;
        }
    }

    private void Launch(in CudaCall c, bool failed)
    {
        _launches++;
        if (!_kernels.TryGetValue(c.Func, out CudaKernelState? k))
        {
            // Past the bound a launch still counts in the totals, only not per kernel.
            if (_kernels.Count >= MaxKernels)
                return;
            k = new CudaKernelState();
            _kernels[c.Func] = k;
        }

        k.Launches++;
        if (failed)
            k.Errors++;
        k.TotalCallNs += (long)Math.Min(c.DurNs, long.MaxValue);
        ReadOnlySpan<uint> g = c.Grid.AsSpan(), b = c.Block.AsSpan();
        var shape = new CudaShapeKey(g[0], g[1], g[2], b[0], b[1], b[2]);
        if (k.Shapes.TryGetValue(shape, out long n))
            k.Shapes[shape] = n + 1;
        else if (k.Shapes.Count < MaxShapesPerKernel)
            k.Shapes[shape] = 1;
    }

    private void ApplyRegister(in CudaRegister r)
    {
        // The demangled name when the collector had one, else the name as registered.
        string name = r.Kernel.AsSpan()[0] != 0
            ? r.Kernel.AsString()
            : CText.ToString(r.Name.AsSpan()[..Math.Min((int)r.NameLen, Text256.Length)]);
        switch (r.Kind)
        {
            case Wire.CudaRegFunction or Wire.CudaRegSymbol:
                Name(r.HostFun, name);
                break;
            case Wire.CudaRegKernelHandle:
                // Launches pass either the handle or the stub it stands for.
                Name(r.Handle, name);
                Name(r.HostFun, name);
                break;
            case Wire.CudaRegModuleFunction or Wire.CudaRegLibraryKernel:
                Name(r.Handle, name);
                break;
            case Wire.CudaRegKernelFunction:
                if (name.Length != 0)
                    Name(r.Handle, name);
                else if (_nameAliases.Count < MaxNames || _nameAliases.ContainsKey(r.Handle))
                    _nameAliases[r.Handle] = r.HostFun; // the CUkernel it came from may be named
                break;
        }
    }

    private void Name(ulong func, string name)
    {
        if (name.Length != 0 && (_names.Count < MaxNames || _names.ContainsKey(func)))
            _names[func] = name;
    }

    private void ApplySymbol(in Symbol s)
    {
        if (_symbols.Count >= MaxSymbols && !_symbols.ContainsKey(s.Addr))
            return;
        string name = s.Name.AsString();
        string module = s.Module.AsString();
        _symbols[s.Addr] = new CudaSymbolName(
            s.Unknown || name.Length == 0 ? null : name,
            s.Offset,
            module.Length == 0 ? null : module);
    }

    private void HoldStack(in CudaStack s)
    {
        uint tid = s.Hdr.Tid;
        if (_pendingStacks.Count >= MaxPendingStacks && !_pendingStacks.ContainsKey(tid))
            _pendingStacks.Clear(); // stacks whose calls never came; real ones are claimed at once
        _pendingStacks[tid] = new CudaPendingStack(s.Hdr.TsNs, s.Valid.ToArray());
    }

    private void HoldPython(in PythonSample s)
    {
        uint tid = s.Hdr.Tid;
        if (_pendingPython.Count >= MaxPendingStacks && !_pendingPython.ContainsKey(tid))
            _pendingPython.Clear();
        var frames = new CudaPendingPython.Frame[Math.Min((int)s.N, Wire.PyMaxFrames)];
        for (int i = 0; i < frames.Length; i++)
            frames[i] = new CudaPendingPython.Frame(s.Frames[i].Code, s.Frames[i].Line);
        _pendingPython[tid] = new CudaPendingPython(s.Hdr.TsNs, frames);
    }

    // The Python stack taken at this very call (same thread, same entry time), if any.
    private CudaPendingPython.Frame[] TakePython(in CudaCall c)
    {
        if (!_pendingPython.TryGetValue(c.Hdr.Tid, out CudaPendingPython held) || held.TsNs != c.Hdr.TsNs)
            return [];
        _pendingPython.Remove(c.Hdr.Tid);
        return held.Frames;
    }

    // The stack held for this call's thread, when the call says it has one and the times agree.
    private ulong[] TakeStack(in CudaCall c)
    {
        if ((c.Flags & Wire.CudaHasStack) == 0
            || !_pendingStacks.TryGetValue(c.Hdr.Tid, out CudaPendingStack held)
            || held.TsNs != c.Hdr.TsNs)
        {
            return [];
        }

        _pendingStacks.Remove(c.Hdr.Tid);
        return held.Ips;
    }
}
