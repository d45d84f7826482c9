namespace Scope.Events;

/// <summary>One decoded argument of a syscall, from the args column of bpf/syscalls_x86_64.tsv (e.g. <c>fd=0:d</c>).</summary>
/// <param name="Name">The JSON key.</param>
/// <param name="Source">Register, return value or captured data.</param>
/// <param name="Register">The register (0..5) when <paramref name="Source"/> is <see cref="SyscallArgSource.Register"/>, else -1.</param>
/// <param name="Format">How a register value is shown; <see cref="SyscallArgFormat.SignedDecimal"/> for the return value.</param>
public sealed record SyscallArg(string Name, SyscallArgSource Source, int Register, SyscallArgFormat Format);
