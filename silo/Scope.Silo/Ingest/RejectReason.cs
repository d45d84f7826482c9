using Scope.Events;

namespace Scope.Silo.Ingest;

/// <summary>Why the ingest refused a frame; every refusal is counted by reason and logged.</summary>
public enum RejectReason
{
    TooShort,
    BadMagic,
    UnsupportedVersion,
    BadHeaderSize,
    LengthMismatch,
    BadRecord,
    BadMac,
    UnknownCollector,
    MachineMismatch,
    TooLarge,
}

internal static class RejectReasons
{
    public static readonly RejectReason[] All = Enum.GetValues<RejectReason>();

    public static RejectReason From(BatchRejectReason r) => r switch
    {
        BatchRejectReason.TooShort => RejectReason.TooShort,
        BatchRejectReason.BadMagic => RejectReason.BadMagic,
        BatchRejectReason.UnsupportedVersion => RejectReason.UnsupportedVersion,
        BatchRejectReason.BadHeaderSize => RejectReason.BadHeaderSize,
        BatchRejectReason.LengthMismatch => RejectReason.LengthMismatch,
        BatchRejectReason.BadMac => RejectReason.BadMac,
        _ => RejectReason.BadRecord,
    };

    public static string Name(this RejectReason r) => r switch
    {
        RejectReason.TooShort => "too_short",
        RejectReason.BadMagic => "bad_magic",
        RejectReason.UnsupportedVersion => "unsupported_version",
        RejectReason.BadHeaderSize => "bad_header_size",
        RejectReason.LengthMismatch => "length_mismatch",
        RejectReason.BadRecord => "bad_record",
        RejectReason.BadMac => "bad_mac",
        RejectReason.UnknownCollector => "unknown_collector",
        RejectReason.MachineMismatch => "machine_mismatch",
        RejectReason.TooLarge => "too_large",
        _ => "other",
    };
}
