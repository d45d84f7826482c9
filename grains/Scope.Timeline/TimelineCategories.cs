namespace Scope.Timeline;

/// <summary>The categories slices and instants carry, so a viewer can filter and tell estimates apart.</summary>
public static class TimelineCategories
{
    /// <summary>A Python call the interpreter's USDT probes measured.</summary>
    public const string Python = "python";

    /// <summary>A Python frame derived from stack samples: an estimate (see docs/timeline.md).</summary>
    public const string PythonDerived = "python.derived";

    /// <summary>A CUDA runtime or driver call.</summary>
    public const string Cuda = "cuda";

    /// <summary>A CUDA call that returned an error.</summary>
    public const string CudaError = "cuda.error";

    /// <summary>A syscall.</summary>
    public const string Syscall = "syscall";

    /// <summary>exec and exit.</summary>
    public const string Process = "process";
}
