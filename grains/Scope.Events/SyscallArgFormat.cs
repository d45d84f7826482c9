namespace Scope.Events;

/// <summary>How a register argument is shown.</summary>
public enum SyscallArgFormat
{
    /// <summary><c>d</c>: a signed int, from the low 32 bits.</summary>
    SignedDecimal,

    /// <summary><c>u</c>: an unsigned 64-bit number.</summary>
    UnsignedDecimal,

    /// <summary><c>x</c>: a string "0x..." in lowercase hex.</summary>
    Hex,

    /// <summary><c>o</c>: a string in octal with a leading 0 ("0644", "0").</summary>
    Octal,
}
