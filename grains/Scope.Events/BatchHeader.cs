using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// <c>struct scope_batch_header</c>, 256 bytes: starts every batch the collector sends, followed by
/// <see cref="PayloadSize"/> bytes of records back to back. <see cref="Mac"/> is HMAC-SHA256 under the
/// collector's secret over this header with the mac field zeroed, then the payload.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct BatchHeader
{
    /// <summary><see cref="Wire.BatchMagic"/>.</summary>
    public uint Magic;

    /// <summary><see cref="Wire.Version"/>.</summary>
    public ushort Version;

    /// <summary><see cref="Wire.BatchHeaderSize"/>.</summary>
    public ushort HeaderSize;

    /// <summary><see cref="Wire.BatchFinal"/>.</summary>
    public uint Flags;

    /// <summary>Records in the payload, of every type (known to this reader or not).</summary>
    public uint RecordCount;

    /// <summary>Bytes after the header.</summary>
    public uint PayloadSize;

    /// <summary>Padding, zero.</summary>
    public uint Pad0;

    /// <summary>1, 2, 3 ... per collector instance.</summary>
    public ulong Sequence;

    /// <summary>Random per collector start: tells restarts apart.</summary>
    public ulong Instance;

    /// <summary>Records this instance sent before this batch.</summary>
    public ulong FirstEvent;

    /// <summary>CLOCK_REALTIME, read together with <see cref="BoottimeNs"/> (see <see cref="WallClock"/>).</summary>
    public ulong RealtimeNs;

    /// <summary>CLOCK_BOOTTIME, read together with <see cref="RealtimeNs"/>.</summary>
    public ulong BoottimeNs;

    /// <summary>Cumulative kernel-side losses, by <see cref="DropReason"/>.</summary>
    public DropCounts3 KernelDrops;

    /// <summary>Cumulative records dropped because the socket and queue were full.</summary>
    public ulong SendDrops;

    /// <summary>The protected machine id (<see cref="Events.MachineId"/>), NUL-padded ASCII.</summary>
    public Text32 MachineId;

    /// <summary>The collector's id.</summary>
    public Text32 CollectorId;

    /// <summary>The task the collector serves.</summary>
    public Text32 TaskId;

    /// <summary>The collector's version.</summary>
    public Text16 CollectorVersion;

    /// <summary>Reserved, zero.</summary>
    public ulong Reserved0;

    /// <summary>Reserved, zero.</summary>
    public ulong Reserved1;

    /// <summary>HMAC-SHA256 (see <see cref="BatchAuthenticator"/>).</summary>
    public Mac32 Mac;

    /// <summary>The collector is stopping: no batch follows.</summary>
    public readonly bool Final => (Flags & Wire.BatchFinal) != 0;
}
