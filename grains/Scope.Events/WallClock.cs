namespace Scope.Events;

/// <summary>
/// Wall-clock time for record timestamps. Records carry CLOCK_BOOTTIME ns (monotonic, counts suspend);
/// each batch header carries CLOCK_REALTIME and CLOCK_BOOTTIME read together, so
/// wall = ts - boottime_ns + realtime_ns. Using the batch's own pair keeps each collector's clock step
/// and drift out of the silo's hands.
/// </summary>
public static class WallClock
{
    /// <summary>Nanoseconds since the Unix epoch of boot time <paramref name="bootNs"/>.</summary>
    public static long UnixNanos(ulong bootNs, in BatchHeader h) =>
        // Modular arithmetic: a record older than the header's clock reading gives a negative offset, which is fine.
        unchecked((long)(bootNs - h.BoottimeNs + h.RealtimeNs));

    /// <summary>The wall-clock time of boot time <paramref name="bootNs"/>, to the 100 ns tick.</summary>
    public static DateTimeOffset FromBoot(ulong bootNs, in BatchHeader h) =>
        DateTimeOffset.UnixEpoch.AddTicks(UnixNanos(bootNs, h) / TimeSpan.NanosecondsPerTick);
}
