namespace Scope.Events;

/// <summary>
/// Why the kernel side lost something; indexes <see cref="BatchHeader.KernelDrops"/>
/// (<c>enum scope_drop_reason</c> in bpf/scope_maps.h, same order).
/// </summary>
public enum DropReason
{
    /// <summary>The ring buffer was full: an event was lost.</summary>
    RingBuffer = 0,

    /// <summary>A syscall entry was not remembered: its exit (the record) was lost, its count was not.</summary>
    InflightFull = 1,

    /// <summary>A process got no counters or histogram: it was not counted.</summary>
    CountsFull = 2,
}
