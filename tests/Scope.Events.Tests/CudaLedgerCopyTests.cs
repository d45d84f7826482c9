using static Scope.Events.Tests.CudaRecords;
using static Scope.Events.Tests.CudaLedgerMemoryTests;

namespace Scope.Events.Tests;

/// <summary>Copies by direction, runtime and driver alike; bandwidth from synchronous copies only.</summary>
public sealed class CudaLedgerCopyTests
{
    [Fact]
    public void Copies_are_totalled_by_direction_with_the_bandwidth_of_the_synchronous_ones()
    {
        var ledger = new CudaLedger();
        Apply(ledger,
            Call(CudaApi.Memcpy, 10, kind: 1, bytes: 1_000_000, dur: 1_000_000),
            Call(CudaApi.CuMemcpyHtoD, 20, kind: 1, bytes: 3_000_000, dur: 1_000_000),
            Call(CudaApi.MemcpyAsync, 30, kind: 1, bytes: 500, dur: 7, flags: Wire.CudaPtsz),
            Call(CudaApi.CuMemcpyHtoDAsync, 40, kind: 1, bytes: 250, dur: 3),
            Call(CudaApi.CuMemcpyDtoH, 50, kind: 2, bytes: 4096, dur: 2048),
            Call(CudaApi.CuMemcpyDtoHAsync, 60, kind: 2, bytes: 8192, dur: 100),
            Call(CudaApi.CuMemcpyDtoDAsync, 70, kind: 3, bytes: 64, dur: 9),
            Call(CudaApi.Memcpy, 80, kind: 4, bytes: 10, dur: 0),
            Call(CudaApi.Memcpy, 90, kind: 9, bytes: 1, dur: 1),
            Call(CudaApi.Memcpy, 95, kind: 1, bytes: 1 << 30, dur: 5, ret: 1)); // failed: no bytes

        CudaSummary s = ledger.Summary();
        Assert.Equal(
            [
                new CudaCopyStat("H2D", 4, 4_000_750, 2_000_010, 2, 4_000_000, 2_000_000, 2e9),
                new CudaCopyStat("D2H", 2, 12_288, 2148, 1, 4096, 2048, 2e9),
                new CudaCopyStat("D2D", 1, 64, 9, 0, 0, 0, null),
                new CudaCopyStat("Default", 1, 10, 0, 1, 10, 0, null),
                new CudaCopyStat("Unknown", 1, 1, 1, 1, 1, 1, 1e9),
            ],
            s.Copies);
        Assert.Equal(4, s.CallsByApi["cudaMemcpy"]); // the failed one included
        Assert.Equal(1, s.CallsByApi["cudaMemcpyAsync"]);
        Assert.Equal(new CudaErrorStat("cudaMemcpy", 1, 1), Assert.Single(s.Errors));

        CudaMetrics m = ledger.Metrics(0);
        Assert.Equal((4_000_750L, 12_288L, 64L), (m.H2DBytes, m.D2HBytes, m.D2DBytes));
    }
}
