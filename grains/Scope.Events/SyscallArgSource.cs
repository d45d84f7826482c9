namespace Scope.Events;

/// <summary>Where a decoded syscall argument's value comes from.</summary>
public enum SyscallArgSource
{
    /// <summary>An argument register, <see cref="SyscallArg.Register"/> (0..5).</summary>
    Register,

    /// <summary>The return value, when the call did not fail.</summary>
    Return,

    /// <summary>The captured data of a <see cref="SyscallData"/> record (a path or an address).</summary>
    Data,
}
