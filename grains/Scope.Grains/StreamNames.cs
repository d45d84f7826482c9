namespace Scope.Grains;

/// <summary>Names the stream subscribers (persistence, export) and the grains that publish to them agree on.</summary>
public static class StreamNames
{
    /// <summary>The stream provider.</summary>
    public const string Provider = "scope";

    /// <summary>Every batch a machine's collectors send, keyed by machine id.</summary>
    public const string Batches = "batches";

    /// <summary>The implicit subscribers of <see cref="Batches"/>: persistence and the rolling traces. Each takes every payload once.</summary>
    public const int BatchSubscribers = 2;

    /// <summary>Periodic samples of processes' CUDA totals (<see cref="Scope.Abstractions.CudaMetricsSample"/>), keyed by machine id.</summary>
    public const string CudaMetrics = "cuda-metrics";
}
