using System.Diagnostics.Metrics;

namespace Scope.Grains;

/// <summary>What the grains count, on the silo's "Scope.Silo" meter (exported with the rest).</summary>
internal static class GrainMetrics
{
    private static readonly Meter Meter = new("Scope.Silo");

    public static readonly Counter<long> GapEvents =
        Meter.CreateCounter<long>("scope.grains.gap_events", "{record}", "Records lost in flight, counted when a collector's numbering jumps");

    public static readonly Counter<long> Batches =
        Meter.CreateCounter<long>("scope.grains.batches", "{batch}", "Batches aggregated by machine grains and passed to the subscribers");

    public static readonly Counter<long> ProcessCalls =
        Meter.CreateCounter<long>("scope.grains.process_calls", "{call}", "Calls from machine grains to process grains (one per process per batch)");
}
