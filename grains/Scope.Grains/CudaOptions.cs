namespace Scope.Grains;

/// <summary>Configuration section Scope:Cuda: what process grains do with CUDA records.</summary>
public sealed class CudaOptions
{
    public const string SectionName = "Scope:Cuda";

    /// <summary>A process's CUDA totals are sampled for storage at most this often (and once more at its exit).</summary>
    public int MetricsIntervalSeconds { get; set; } = 10;

    /// <summary>While a process runs, a live allocation older than this is reported as a leak.</summary>
    public int LeakAgeSeconds { get; set; } = 600;

    /// <summary>Live allocations tracked per process at most; beyond it new ones are only counted.</summary>
    public int MaxLiveAllocations { get; set; } = 1_000_000;
}
