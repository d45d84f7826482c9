using static Scope.Events.Tests.CudaRecords;

namespace Scope.Events.Tests;

/// <summary>The ledger's memory accounting: allocations, frees, peaks, VMM, leaks and its bound.</summary>
public sealed class CudaLedgerMemoryTests
{
    private const long MiB = 1 << 20;
    private const long Offset = 1_700_000_000_000_000_000;

    [Fact]
    public void Three_allocations_two_frees_leave_one_leak_at_exit_with_its_named_stack()
    {
        var ledger = new CudaLedger();
        const ulong Caller = 0x55555555a1c3, Main = 0x55555555a2f0, Libc = 0x7f1234567d90, Bare = 0x7f00000000aa;
        Apply(ledger,
            Symbol(Caller, 0x33, "train", "leak_two(Pool&)"),
            Symbol(Libc, 171408, "libc.so.6", "", Wire.SymbolUnknown),
            Stack(CudaApi.Malloc, 1000, 7, Caller - 0x10, Main),
            Call(CudaApi.Malloc, 1000, tid: 7, ptr: 0x7f0000000000, bytes: 1 * MiB, flags: Wire.CudaHasStack),
            Stack(CudaApi.Malloc, 2000, 7, Caller, Main, Libc, Bare),
            Call(CudaApi.Malloc, 2000, tid: 7, ptr: 0x7f0000100000, bytes: 2 * MiB, flags: Wire.CudaHasStack),
            Call(CudaApi.Free, 3000, tid: 7, ptr: 0x7f0000000000),
            Call(CudaApi.Malloc, 4000, tid: 7, ptr: 0x7f0000300000, bytes: 3 * MiB),
            Call(CudaApi.Free, 5000, tid: 7, ptr: 0x7f0000300000),
            Exit(9000));

        Assert.True(ledger.Exited);
        CudaLeak leak = Assert.Single(ledger.Leaks(nowUnixNs: 0));
        Assert.Equal("alive_at_exit", leak.Reason);
        Assert.Equal(7000, leak.AgeNs);
        CudaAllocation a = leak.Allocation;
        Assert.Equal(0x7f0000100000ul, a.Ptr);
        Assert.Equal(2 * MiB, a.Bytes);
        Assert.Equal("device", a.Kind);
        Assert.Equal("cudaMalloc", a.Api);
        Assert.Equal(0, a.Device);
        Assert.Equal(7u, a.Tid);
        Assert.Equal(Offset + 2000, a.UnixNs);

        Assert.Equal(4, a.Stack.Count);
        Assert.Equal(new CudaFrame(Caller, "leak_two(Pool&)", 0x33, "train"), a.Stack[0]);
        Assert.Equal("leak_two(Pool&)+0x33 (train)", a.Stack[0].ToString());
        Assert.Equal(new CudaFrame(Main, null, 0, null), a.Stack[1]);
        Assert.Equal("0x55555555a2f0", a.Stack[1].ToString());
        Assert.Equal(new CudaFrame(Libc, null, 171408, "libc.so.6"), a.Stack[2]);
        Assert.Equal("0x7f1234567d90 (libc.so.6)", a.Stack[2].ToString());

        CudaSummary s = ledger.Summary();
        CudaDeviceMemory d = Assert.Single(s.Devices);
        Assert.Equal(new CudaDeviceMemory(0, 2 * MiB, 5 * MiB, Offset + 4000, 3, 2), d);
        Assert.Equal(1, s.LiveAllocations);
        Assert.Equal(0, s.UnknownFrees);
        Assert.Equal(5, s.Operations);
        Assert.Equal(Offset + 9000, s.ExitUnixNs);
        Assert.Equal(Offset + 1, s.FirstUnixNs); // the symbol records' ts
        Assert.Equal(Offset + 9000, s.LastUnixNs);
        Assert.Equal(3, s.CallsByApi["cudaMalloc"]);
        Assert.Equal(2, s.CallsByApi["cudaFree"]);
    }

    [Fact]
    public void Peaks_are_per_device_and_pinned_host_memory_is_apart()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Call(CudaApi.Malloc, 10, ptr: 0xA000, bytes: 4 * MiB, device: 0),
            Call(CudaApi.CuMemAlloc, 20, ptr: 0xB000, bytes: 8 * MiB, device: 1),
            Call(CudaApi.MallocManaged, 30, ptr: 0xC000, bytes: 1 * MiB, device: 1),
            Call(CudaApi.MallocAsync, 40, ptr: 0xD000, bytes: 2 * MiB, device: -1),
            Call(CudaApi.MallocHost, 50, ptr: 0xE000, bytes: 16 * MiB, device: 0),
            Call(CudaApi.MallocHost, 55, ptr: 0xE100, bytes: 4 * MiB, device: 0),
            Call(CudaApi.CuMemFree, 60, ptr: 0xB000, device: 1),
            Call(CudaApi.FreeHost, 70, ptr: 0xE000),
            Call(CudaApi.Malloc, 80, ptr: 0xB100, bytes: 3 * MiB, device: 1));

        CudaSummary s = ledger.Summary();
        Assert.Equal(
            [
                new CudaDeviceMemory(-1, 2 * MiB, 2 * MiB, Offset + 40, 1, 0),
                new CudaDeviceMemory(0, 4 * MiB, 4 * MiB, Offset + 10, 1, 0),
                new CudaDeviceMemory(1, 4 * MiB, 9 * MiB, Offset + 30, 3, 1),
            ],
            s.Devices);
        Assert.Equal(4 * MiB, s.HostPinnedBytes);
        Assert.Equal(20 * MiB, s.HostPinnedPeakBytes);
        Assert.Equal(5, s.LiveAllocations);
        Assert.Equal(
            ["device", "managed", "device", "host", "device"],
            ledger.LiveAllocations(10).Select(a => a.Kind));
        Assert.Equal([0xA000ul, 0xC000], ledger.LiveAllocations(2).Select(a => a.Ptr));
    }

    [Fact]
    public void Live_allocations_are_oldest_first_and_limited()
    {
        var ledger = new CudaLedger();

        // Out of time order on purpose: records of different CPUs may arrive so.
        Apply(ledger,
            Call(CudaApi.Malloc, 300, ptr: 0x3, bytes: 3),
            Call(CudaApi.Malloc, 100, ptr: 0x1, bytes: 1),
            Call(CudaApi.Malloc, 400, ptr: 0x4, bytes: 4),
            Call(CudaApi.Malloc, 200, ptr: 0x2, bytes: 2),
            Call(CudaApi.Malloc, 200, ptr: 0x5, bytes: 5));

        Assert.Equal([0x1ul, 0x2, 0x5], ledger.LiveAllocations(3).Select(a => a.Ptr));
        Assert.Equal([0x1ul, 0x2, 0x5, 0x3, 0x4], ledger.LiveAllocations(100).Select(a => a.Ptr));
        Assert.Empty(ledger.LiveAllocations(0));
        Assert.Equal(Offset + 100, ledger.Summary().FirstUnixNs);
        Assert.Equal(Offset + 400, ledger.Summary().LastUnixNs);
    }

    [Fact]
    public void Failed_calls_count_as_errors_and_change_nothing()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Call(CudaApi.Malloc, 10, ptr: 0xA000, bytes: MiB),
            Call(CudaApi.Malloc, 20, ret: 2, ptr: 0xB000, bytes: 64 * MiB),
            Call(CudaApi.Malloc, 25, ret: 2, ptr: 0xB000, bytes: 64 * MiB),
            Call(CudaApi.Free, 30, ret: 1, ptr: 0xA000),
            Call(CudaApi.CuMemcpyHtoD, 40, ret: 700, ptr: 0xA000, src: 0x1000, bytes: MiB, kind: 1, dur: 500),
            Call(CudaApi.CuMemCreate, 50, ret: 2, ptr: 0x11, bytes: 2 * MiB),
            Call(CudaApi.MemcpyAsync, 60, ret: 1, kind: 2, bytes: MiB, flags: Wire.CudaPtsz));

        CudaSummary s = ledger.Summary();
        Assert.Equal(7, s.Operations);
        Assert.Equal(
            [
                new CudaErrorStat("cudaMalloc", 2, 2),
                new CudaErrorStat("cuMemCreate", 2, 1),
                new CudaErrorStat("cuMemcpyHtoD_v2", 700, 1),
                new CudaErrorStat("cudaFree", 1, 1),
                new CudaErrorStat("cudaMemcpyAsync", 1, 1),
            ],
            s.Errors);
        Assert.Equal(MiB, Assert.Single(s.Devices).CurrentBytes);
        Assert.Equal(1, s.LiveAllocations);
        Assert.Empty(s.Copies);
        Assert.Equal(1, s.CallsByApi["cudaMemcpyAsync"]); // the _ptsz variant folds into its API
        Assert.Equal(6, ledger.Metrics(0).Errors);
        Assert.Equal(0, ledger.Metrics(0).H2DBytes);
    }

    [Fact]
    public void Frees_of_unknown_pointers_are_counted_and_null_frees_are_not()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Call(CudaApi.Free, 10, ptr: 0),
            Call(CudaApi.Free, 20, ptr: 0xDEAD),
            Call(CudaApi.FreeAsync, 30, ptr: 0xBEEF),
            Call(CudaApi.CuMemRelease, 40, ptr: 0x99),
            Call(CudaApi.Malloc, 45, ptr: 0, bytes: 0),
            Call(CudaApi.Malloc, 50, ptr: 0xA000, bytes: 10),
            Call(CudaApi.Free, 60, ptr: 0xA000),
            Call(CudaApi.Free, 70, ptr: 0xA000));

        CudaSummary s = ledger.Summary();
        Assert.Equal(4, s.UnknownFrees);
        Assert.Equal(0, s.LiveAllocations);
        Assert.Equal(new CudaDeviceMemory(0, 0, 10, Offset + 50, 1, 1), Assert.Single(s.Devices));
    }

    [Fact]
    public void Vmm_handles_count_their_memory_once_and_mappings_are_listed()
    {
        var ledger = new CudaLedger();
        const ulong Handle = 0x11, Va = 0x7f4000000000;
        Apply(ledger,
            Call(CudaApi.CuMemCreate, 100, ptr: Handle, bytes: 2 * MiB, device: 0),
            Call(CudaApi.CuMemMap, 200, ptr: Va, bytes: 2 * MiB, src: Handle, device: -1),
            Call(CudaApi.CuMemMap, 300, ptr: Va + (4 * MiB), bytes: 2 * MiB, src: Handle, device: -1));

        CudaSummary s = ledger.Summary();
        Assert.Equal(new CudaDeviceMemory(0, 2 * MiB, 2 * MiB, Offset + 100, 1, 0), Assert.Single(s.Devices));
        Assert.Equal(3, s.LiveAllocations);
        IReadOnlyList<CudaAllocation> live = ledger.LiveAllocations(10);
        Assert.Equal(["vmm_handle", "vmm_map", "vmm_map"], live.Select(a => a.Kind));
        Assert.Equal([Handle, Va, Va + (4 * MiB)], live.Select(a => a.Ptr));
        Assert.Equal(["cuMemCreate", "cuMemMap", "cuMemMap"], live.Select(a => a.Api));
        Assert.All(live, a => Assert.Equal(0, a.Device)); // a mapping takes its handle's device

        Apply(ledger,
            Call(CudaApi.CuMemUnmap, 400, ptr: Va, bytes: 2 * MiB),
            Call(CudaApi.CuMemFree, 450, ptr: Va + (4 * MiB))); // a mapping is not cuMemAlloc memory
        s = ledger.Summary();
        Assert.Equal(2, s.LiveAllocations);
        Assert.Equal(1, s.UnknownFrees);
        Assert.Equal(2 * MiB, s.Devices[0].CurrentBytes);

        Apply(ledger, Call(CudaApi.CuMemRelease, 500, ptr: Handle), Exit(1000));
        s = ledger.Summary();
        Assert.Equal(new CudaDeviceMemory(0, 0, 2 * MiB, Offset + 100, 1, 1), Assert.Single(s.Devices));
        CudaLeak leak = Assert.Single(ledger.Leaks(0));
        Assert.Equal("vmm_map", leak.Allocation.Kind);
        Assert.Equal(Va + (4 * MiB), leak.Allocation.Ptr);
        Assert.Equal(700, leak.AgeNs);
    }

    [Fact]
    public void Every_kind_still_live_at_exit_is_a_leak_largest_first()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Call(CudaApi.MallocHost, 100, ptr: 0xE000, bytes: 5),
            Call(CudaApi.CuMemCreate, 200, ptr: 0x11, bytes: 50),
            Call(CudaApi.CuMemMap, 300, ptr: 0xF000, bytes: 50, src: 0x11),
            Call(CudaApi.MallocManaged, 400, ptr: 0xA000, bytes: 7),
            Exit(1000));
        Assert.Equal(
            [("vmm_handle", 800L), ("vmm_map", 700L), ("managed", 600L), ("host", 900L)],
            ledger.Leaks(0).Select(l => (l.Allocation.Kind, l.AgeNs)));
        Assert.All(ledger.Leaks(0), l => Assert.Equal("alive_at_exit", l.Reason));
    }

    [Fact]
    public void Without_an_exit_only_allocations_older_than_the_age_are_leaks()
    {
        var ledger = new CudaLedger();
        long minute = (long)TimeSpan.FromMinutes(1).TotalNanoseconds;
        Apply(ledger,
            Call(CudaApi.Malloc, 1000, ptr: 0xA, bytes: 10),
            Call(CudaApi.Malloc, 1000 + (ulong)(5 * minute), ptr: 0xB, bytes: 20));
        long now = Offset + 1000 + (11 * minute);

        CudaLeak old = Assert.Single(ledger.Leaks(now));
        Assert.Equal(("older_than_age", 0xAul, 11 * minute), (old.Reason, old.Allocation.Ptr, old.AgeNs));

        Assert.Equal([0xBul, 0xA], ledger.Leaks(now, TimeSpan.FromMinutes(1)).Select(l => l.Allocation.Ptr));
        Assert.Empty(ledger.Leaks(now, TimeSpan.FromMinutes(11)));  // exactly the age is not older
        Assert.Empty(ledger.Leaks(now, TimeSpan.MaxValue));

        var strict = new CudaLedger(new CudaLedgerOptions { LeakAge = TimeSpan.FromMinutes(2) });
        Apply(strict,
            Call(CudaApi.Malloc, 1000, ptr: 0xA, bytes: 10),
            Call(CudaApi.Malloc, 1000 + (ulong)(5 * minute), ptr: 0xB, bytes: 20));
        Assert.Equal(2, strict.Leaks(now).Count);
        Assert.False(strict.Exited);
    }

    [Fact]
    public void Beyond_the_bound_allocations_are_counted_not_tracked()
    {
        var ledger = new CudaLedger(new CudaLedgerOptions { MaxLiveAllocations = 2 });
        Apply(ledger,
            Call(CudaApi.Malloc, 10, ptr: 0x1, bytes: 100),
            Call(CudaApi.CuMemCreate, 20, ptr: 0x2, bytes: 200),
            Call(CudaApi.Malloc, 30, ptr: 0x3, bytes: 300),
            Call(CudaApi.MallocHost, 40, ptr: 0x4, bytes: 400));

        CudaSummary s = ledger.Summary();
        Assert.Equal(2, s.Untracked);
        Assert.Equal(2, s.LiveAllocations);
        Assert.Equal(new CudaDeviceMemory(0, 300, 300, Offset + 20, 2, 0), Assert.Single(s.Devices));
        Assert.Equal(0, s.HostPinnedBytes);

        Apply(ledger,
            Call(CudaApi.Free, 50, ptr: 0x3),
            Call(CudaApi.Free, 60, ptr: 0x1),
            Call(CudaApi.Malloc, 70, ptr: 0x5, bytes: 500));
        s = ledger.Summary();
        Assert.Equal(1, s.UnknownFrees);
        Assert.Equal(2, s.Untracked);
        Assert.Equal([0x2ul, 0x5], ledger.LiveAllocations(10).Select(a => a.Ptr));
        Assert.Equal(700, s.Devices[0].CurrentBytes);
    }

    [Fact]
    public void An_address_handed_out_again_replaces_the_allocation_whose_free_was_missed()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Call(CudaApi.Malloc, 10, ptr: 0xA, bytes: 100),
            Call(CudaApi.Malloc, 20, ptr: 0xA, bytes: 30));
        CudaSummary s = ledger.Summary();
        Assert.Equal(1, s.LiveAllocations);
        Assert.Equal(new CudaDeviceMemory(0, 30, 100, Offset + 10, 2, 0), Assert.Single(s.Devices));
        Assert.Equal(30, Assert.Single(ledger.LiveAllocations(5)).Bytes);
    }

    [Fact]
    public void Metrics_are_a_flat_sample_of_the_totals()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Call(CudaApi.Malloc, 10, ptr: 0xA, bytes: 100, device: 2),
            Call(CudaApi.MallocHost, 20, ptr: 0xB, bytes: 7),
            Call(CudaApi.Memcpy, 30, kind: 1, bytes: 11),
            Call(CudaApi.CuMemcpyDtoHAsync, 40, kind: 2, bytes: 13),
            Call(CudaApi.CuMemcpyDtoD, 50, kind: 3, bytes: 17),
            Call(CudaApi.LaunchKernel, 60, func: 0x9),
            Call(CudaApi.GraphLaunch, 70, func: 0x8),
            Call(CudaApi.SetDevice, 80, ret: 101));
        CudaMetrics m = ledger.Metrics(Offset + 999);
        Assert.Equal(Offset + 999, m.UnixNs);
        Assert.Equal([new CudaDeviceMemory(2, 100, 100, Offset + 10, 1, 0)], m.Devices);
        Assert.Equal((7L, 8L, 1L, 1L), (m.HostPinnedBytes, m.Operations, m.Launches, m.Errors));
        Assert.Equal((11L, 13L, 17L, 2L), (m.H2DBytes, m.D2HBytes, m.D2DBytes, m.LiveAllocations));
    }

    internal static void Apply(CudaLedger ledger, params byte[][] records)
    {
        foreach (byte[] r in records)
            ledger.Apply(r, Offset);
    }
}
