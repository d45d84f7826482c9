namespace Scope.Events;

/// <summary>Why a batch frame (or a payload) was refused.</summary>
public enum BatchRejectReason
{
    /// <summary>Accepted.</summary>
    None,

    /// <summary>Shorter than a batch header.</summary>
    TooShort,

    /// <summary>Not a SCOPE batch.</summary>
    BadMagic,

    /// <summary>A wire version this reader does not speak.</summary>
    UnsupportedVersion,

    /// <summary>The header size field is not <see cref="Wire.BatchHeaderSize"/>.</summary>
    BadHeaderSize,

    /// <summary>The payload size field does not match the frame's length.</summary>
    LengthMismatch,

    /// <summary>The MAC does not match: altered, or signed with another secret.</summary>
    BadMac,

    /// <summary>A record's size field is wrong for its type, runs past the payload, or the record count does not match.</summary>
    BadRecord,
}
