using static Scope.Events.Tests.CudaRecords;
using static Scope.Events.Tests.CudaLedgerMemoryTests;

namespace Scope.Events.Tests;

/// <summary>A stack goes to the call of its own thread and time, and its frames are named when asked for.</summary>
public sealed class CudaLedgerStackTests
{
    [Fact]
    public void A_stack_goes_only_to_the_call_with_its_tid_and_ts()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Stack(CudaApi.Malloc, 100, tid: 1, 0xA1),
            Call(CudaApi.Malloc, 100, tid: 2, ptr: 0x2000, bytes: 2, flags: Wire.CudaHasStack),  // another thread
            Call(CudaApi.Malloc, 99, tid: 1, ptr: 0x3000, bytes: 3, flags: Wire.CudaHasStack),   // another time
            Call(CudaApi.Malloc, 100, tid: 1, ptr: 0x1000, bytes: 1),                            // no stack flag
            Call(CudaApi.Malloc, 100, tid: 1, ptr: 0x1100, bytes: 1, flags: Wire.CudaHasStack),  // the one
            Call(CudaApi.Malloc, 100, tid: 1, ptr: 0x1200, bytes: 1, flags: Wire.CudaHasStack)); // taken already

        Dictionary<ulong, IReadOnlyList<CudaFrame>> stacks = ledger.LiveAllocations(10).ToDictionary(a => a.Ptr, a => a.Stack);
        Assert.Empty(stacks[0x2000]);
        Assert.Empty(stacks[0x3000]);
        Assert.Empty(stacks[0x1000]);
        Assert.Equal([0xA1ul], stacks[0x1100].Select(f => f.Address));
        Assert.Empty(stacks[0x1200]);
    }

    [Fact]
    public void A_python_stack_goes_to_the_allocation_of_its_thread_and_time_and_is_named_by_its_code_records()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            PythonCodeName(0xC1, "leaky_alloc", "/app/leak.py"),
            PythonAtCuda(100, tid: 1, (0xC1, 14), (0xC2, 20)),
            Call(CudaApi.Malloc, 100, tid: 2, ptr: 0x2000, bytes: 2),   // another thread
            Call(CudaApi.Malloc, 100, tid: 1, ptr: 0x1000, bytes: 1),   // the one
            Call(CudaApi.Malloc, 100, tid: 1, ptr: 0x1100, bytes: 1),   // taken already
            PythonCodeName(0xC2, "main", "/app/leak.py"));              // a name that came later still counts

        var live = ledger.LiveAllocations(10).ToDictionary(a => a.Ptr);
        Assert.Empty(live[0x2000].PythonStack);
        Assert.Empty(live[0x1100].PythonStack);
        Assert.Equal([new CudaPythonFrame("leaky_alloc", "/app/leak.py", 14), new CudaPythonFrame("main", "/app/leak.py", 20)],
            live[0x1000].PythonStack);
        Apply(ledger, Exit(300));
        Assert.Equal("leaky_alloc", Assert.Single(ledger.Leaks(0), l => l.Allocation.Ptr == 0x1000).Allocation.PythonStack[0].Function);
    }

    [Fact]
    public void A_newer_stack_of_the_thread_replaces_the_held_one()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Stack(CudaApi.Malloc, 100, tid: 1, 0xA1),
            Stack(CudaApi.Malloc, 200, tid: 1, 0xB1, 0xB2),
            Stack(CudaApi.CuMemAlloc, 200, tid: 3, 0xC1),
            Call(CudaApi.Malloc, 100, tid: 1, ptr: 0x1000, bytes: 1, flags: Wire.CudaHasStack),
            Call(CudaApi.Malloc, 200, tid: 1, ptr: 0x2000, bytes: 1, flags: Wire.CudaHasStack),
            Call(CudaApi.CuMemAlloc, 200, tid: 3, ptr: 0x3000, bytes: 1, flags: Wire.CudaHasStack));

        Dictionary<ulong, IReadOnlyList<CudaFrame>> stacks = ledger.LiveAllocations(10).ToDictionary(a => a.Ptr, a => a.Stack);
        Assert.Empty(stacks[0x1000]);
        Assert.Equal([0xB1ul, 0xB2], stacks[0x2000].Select(f => f.Address));
        Assert.Equal([0xC1ul], stacks[0x3000].Select(f => f.Address));
    }

    [Fact]
    public void Frames_are_named_by_symbols_that_come_later_and_the_last_symbol_wins()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Stack(CudaApi.Malloc, 100, tid: 1, 0xA1, 0xA2),
            Call(CudaApi.Malloc, 100, tid: 1, ptr: 0x1000, bytes: 1, flags: Wire.CudaHasStack));
        Assert.Equal(["0xa1", "0xa2"], Frames(ledger));

        Apply(ledger,
            Symbol(0xA1, 4, "", "old_name"),
            Symbol(0xA1, 0x1c, "", "alloc_buffers(int)"),
            Symbol(0xA2, 0x10, "libtorch.so", "at::empty()"));
        Assert.Equal(["alloc_buffers(int)+0x1c", "at::empty()+0x10 (libtorch.so)"], Frames(ledger));
        Assert.Equal(new CudaFrame(0xA1, "alloc_buffers(int)", 0x1c, null), ledger.LiveAllocations(1)[0].Stack[0]);
    }

    [Fact]
    public void The_golden_stack_and_symbols_name_the_golden_allocation()
    {
        var ledger = new CudaLedger();
        foreach (string name in new[] { "symbol", "symbol_unknown", "cuda_stack", "cu_mem_alloc_stack" })
            ledger.Apply(Golden.RecordBytes(name), 1_000_000);

        CudaAllocation a = Assert.Single(ledger.LiveAllocations(5));
        Assert.Equal((0x7f0000400000ul, 3_145_728L, "device", "cuMemAlloc_v2", 1_010_000L, 43u), (a.Ptr, a.Bytes, a.Kind, a.Api, a.UnixNs, a.Tid));
        Assert.Equal(
            ["leak_three(Pool&, unsigned long)+0x33 (train)", "0x55555555a2f0", "0x7f1234567d90 (libc.so.6)"],
            a.Stack.Select(f => f.ToString()));
    }

    [Fact]
    public void Frame_text_says_as_much_as_is_known()
    {
        Assert.Equal("f+0x0", new CudaFrame(0x10, "f", 0, null).ToString());
        Assert.Equal("f+0x1c (m.so)", new CudaFrame(0x10, "f", 0x1c, "m.so").ToString());
        Assert.Equal("0x10 (m.so)", new CudaFrame(0x10, null, 0x1c, "m.so").ToString());
        Assert.Equal("0xffffffffffffffff", new CudaFrame(ulong.MaxValue, null, 0, null).ToString());
    }

    private static string[] Frames(CudaLedger ledger) => ledger.LiveAllocations(1)[0].Stack.Select(f => f.ToString()).ToArray();
}
