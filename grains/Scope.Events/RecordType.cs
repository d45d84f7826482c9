namespace Scope.Events;

/// <summary>The record types of wire version 1 (<c>enum scope_event_type</c> in bpf/scope_events.h).</summary>
public enum RecordType : ushort
{
    /// <summary>A process called execve: <see cref="Events.ProcessExec"/>.</summary>
    ProcessExec = 1,

    /// <summary>A process forked: <see cref="Events.ProcessFork"/>.</summary>
    ProcessFork = 2,

    /// <summary>The last thread of a process exited: <see cref="Events.ProcessExit"/>.</summary>
    ProcessExit = 3,

    /// <summary>One syscall: <see cref="Events.Syscall"/>.</summary>
    Syscall = 4,

    /// <summary>One syscall with a captured path or address: <see cref="Events.SyscallData"/>.</summary>
    SyscallData = 5,

    /// <summary>Cumulative per-process syscall totals: <see cref="Events.SyscallCounts"/>.</summary>
    SyscallCounts = 6,

    /// <summary>A cumulative latency histogram of one syscall of one process: <see cref="Events.SyscallHist"/>.</summary>
    SyscallHist = 7,

    /// <summary><c>struct scope_cuda_call</c>: one CUDA runtime or driver call.</summary>
    CudaCall = 8,

    /// <summary><c>struct scope_cuda_register</c>: a module or kernel registration (how kernels get names).</summary>
    CudaRegister = 9,

    /// <summary>The user call stack of the CUDA call that follows: <see cref="Events.CudaStack"/>.</summary>
    CudaStack = 10,

    /// <summary>The collector's name for one user-space address: <see cref="Events.Symbol"/>.</summary>
    Symbol = 11,

    /// <summary>A CPU-time sample of a thread running Python, with its Python and native stacks: <see cref="Events.PythonSample"/>.</summary>
    PythonSample = 12,

    /// <summary>The collector's name for one Python code object of a process: <see cref="Events.PythonCode"/>.</summary>
    PythonCode = 13,

    /// <summary><see cref="PythonCall"/>.</summary>
    PythonCall = 14,
}
