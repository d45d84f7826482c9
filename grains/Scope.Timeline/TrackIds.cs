namespace Scope.Timeline;

/// <summary>
/// Track uuids and flow ids, derived from what identifies the thing (pid and start time, tid, device,
/// a launch's thread and time) rather than counted: the same records give the same ids in every run,
/// so a trace rebuilt from storage matches a live one, and a silo restarted while appending to a file
/// does not reuse an id for something else.
/// </summary>
internal static class TrackIds
{
    // JavaScript viewers of the JSON format read numbers as doubles.
    private const ulong FlowMask = (1UL << 53) - 1;

    private const ulong ProcessKind = 1, ThreadKind = 2, MemoryKind = 3, RateKind = 4, FlowKind = 5;

    public static ulong Process(uint pid, ulong startNs) => NonZero(Mix(Mix(ProcessKind, pid), startNs));

    public static ulong Thread(ulong process, uint tid) => NonZero(Mix(Mix(ThreadKind, process), tid));

    public static ulong GpuMemory(ulong process, int device) => NonZero(Mix(Mix(MemoryKind, process), unchecked((ulong)device)));

    public static ulong SyscallRate(ulong process) => NonZero(Mix(RateKind, process));

    public static ulong Flow(ulong process, uint tid, ulong tsNs) =>
        Math.Max(1, Mix(Mix(Mix(FlowKind, process), tid), tsNs) & FlowMask);

    private static ulong NonZero(ulong id) => id == 0 ? 1 : id;

    // splitmix64's finaliser over a running value: cheap and well spread.
    private static ulong Mix(ulong seed, ulong value)
    {
        ulong z = unchecked(seed * 0x9E3779B97F4A7C15UL + value + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
