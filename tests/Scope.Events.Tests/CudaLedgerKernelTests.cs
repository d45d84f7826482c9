using static Scope.Events.Tests.CudaRecords;
using static Scope.Events.Tests.CudaLedgerMemoryTests;

namespace Scope.Events.Tests;

/// <summary>Kernel launches: counted by function, named at query time from registrations of every kind.</summary>
public sealed class CudaLedgerKernelTests
{
    private const ulong Stub = 0x401000, Handle = 0x7f0000aa0000;

    [Fact]
    public void Launches_before_a_registration_are_named_once_it_comes()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Call(CudaApi.LaunchKernel, 10, func: Stub, grid: (128, 1, 1), block: (256, 1, 1), dur: 100),
            Call(CudaApi.LaunchKernel, 20, func: Stub, grid: (128, 1, 1), block: (256, 1, 1), dur: 50));

        CudaKernelStat unnamed = Assert.Single(ledger.Kernels(10));
        Assert.Equal("0x401000", unnamed.Name);
        Assert.Equal(2, unnamed.Launches);

        Apply(ledger,
            Register(Wire.CudaRegFunction, handle: 0x5000, hostFun: Stub, "_Z3addPfS_i", "add(float*, float*, int)"),
            Register(Wire.CudaRegKernelHandle, handle: Handle, hostFun: Stub, "", "add(float*, float*, int)"),
            Call(CudaApi.LaunchKernelExC, 30, func: Handle, grid: (64, 2, 1), block: (256, 1, 1), dur: 30),
            Call(CudaApi.LaunchKernel, 40, func: Stub, grid: (128, 1, 1), block: (256, 1, 1), dur: 20, ret: 98),
            Call(CudaApi.LaunchKernel, 50, func: 0x402000, grid: (1, 1, 1), block: (32, 1, 1), dur: 5),
            Call(CudaApi.GraphLaunch, 60, func: 0x9999));

        IReadOnlyList<CudaKernelStat> kernels = ledger.Kernels(10);
        Assert.Equal(2, kernels.Count);
        CudaKernelStat add = kernels[0];
        Assert.Equal("add(float*, float*, int)", add.Name);
        Assert.Equal(Stub, add.Func); // the function launched most
        Assert.Equal((4L, 1L, 200L), (add.Launches, add.Errors, add.TotalCallNs));
        Assert.Equal(
            [new CudaLaunchShape(128, 1, 1, 256, 1, 1, 3), new CudaLaunchShape(64, 2, 1, 256, 1, 1, 1)],
            add.Shapes);
        Assert.Equal(new CudaKernelStat("0x402000", 0x402000, 1, 0, 5, kernels[1].Shapes), kernels[1]);
        Assert.Equal("add(float*, float*, int)", Assert.Single(ledger.Kernels(1)).Name);
        Assert.Empty(ledger.Kernels(0));

        CudaSummary s = ledger.Summary();
        Assert.Equal((2, 5L, 6L), (s.DistinctKernels, s.Launches, s.Operations)); // the graph launch is only an operation
        Assert.Equal(new CudaErrorStat("cudaLaunchKernel", 98, 1), Assert.Single(s.Errors));
    }

    [Fact]
    public void Elf_symbol_names_and_mangled_names_without_a_demangled_one_are_used()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Register(Wire.CudaRegSymbol, 0, hostFun: 0x1, "_Z6stub_av", "stub_a()"),
            Register(Wire.CudaRegFunction, 0x5000, hostFun: 0x2, "_Z7mangledv"),
            Register(Wire.CudaRegFatBinary, 0x3, hostFun: 0x3, "fat"), // names nothing
            Call(CudaApi.LaunchKernel, 10, func: 0x1),
            Call(CudaApi.LaunchKernel, 20, func: 0x2),
            Call(CudaApi.LaunchKernel, 30, func: 0x2),
            Call(CudaApi.LaunchKernel, 40, func: 0x3));
        Assert.Equal(
            [("_Z7mangledv", 2L), ("0x3", 1L), ("stub_a()", 1L)],
            ledger.Kernels(10).Select(k => (k.Name, k.Launches)));
    }

    [Fact]
    public void Driver_registrations_name_driver_launches()
    {
        var ledger = new CudaLedger();
        const ulong Function = 0x55d0c0ffee00, Kernel = 0x55d0c0ffe000, KernelFunction = 0x55d0c0fff000, Unnamed = 0x55d0c0fff100;
        Apply(ledger,
            Call(CudaApi.CuLaunchKernel, 5, func: KernelFunction, grid: (8, 8, 1), block: (16, 16, 1)),
            Register(Wire.CudaRegModuleFunction, Function, hostFun: 0x55d0c0ff0000, "vec_add", "vec_add"),
            Register(Wire.CudaRegLibraryKernel, Kernel, hostFun: 0x55d0c0fe0000, "_Z5scalePfi", "scale(float*, int)"),

            // cuKernelGetFunction: no name of its own; it is the CUkernel's.
            Register(Wire.CudaRegKernelFunction, KernelFunction, hostFun: Kernel, ""),
            Register(Wire.CudaRegKernelFunction, Unnamed, hostFun: 0x1234, ""),
            Call(CudaApi.CuLaunchKernel, 10, func: Function, grid: (4, 1, 1), block: (128, 1, 1), dur: 11),
            Call(CudaApi.CuLaunchKernelEx, 20, func: Function, grid: (4, 1, 1), block: (128, 1, 1), dur: 13),
            Call(CudaApi.CuLaunchKernelEx, 30, func: Function, grid: (4, 1, 1), block: (128, 1, 1), dur: 17, flags: Wire.CudaPtsz),
            Call(CudaApi.CuLaunchKernel, 40, func: Kernel, grid: (8, 8, 1), block: (16, 16, 1)),
            Call(CudaApi.CuLaunchKernel, 50, func: Unnamed));

        Assert.Equal(
            [("vec_add", 3L, 41L), ("scale(float*, int)", 2L, 0L), ("0x55d0c0fff100", 1L, 0L)],
            ledger.Kernels(10).Select(k => (k.Name, k.Launches, k.TotalCallNs)));
        CudaKernelStat scale = ledger.Kernels(10)[1];
        Assert.Equal([new CudaLaunchShape(8, 8, 1, 16, 16, 1, 2)], scale.Shapes);
        Assert.Equal(2, ledger.Summary().CallsByApi["cuLaunchKernelEx"]);
        Assert.Equal(6, ledger.Operations);
    }

    [Fact]
    public void The_golden_driver_registration_names_the_golden_driver_launch()
    {
        var ledger = new CudaLedger();
        ledger.Apply(Golden.RecordBytes("cu_launch_kernel_ex"), 0);
        ledger.Apply(Golden.RecordBytes("cu_module_get_function"), 0);
        CudaKernelStat k = Assert.Single(ledger.Kernels(5));
        Assert.Equal(new CudaKernelStat("vec_add", 0x55d0c0ffee00, 1, 0, 2500, k.Shapes), k);
        Assert.Equal(new CudaLaunchShape(128, 1, 1, 32, 4, 1, 1), Assert.Single(k.Shapes));
        Assert.Equal(1, ledger.Operations);
    }
}
