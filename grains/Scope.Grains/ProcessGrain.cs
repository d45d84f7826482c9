using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;
using Scope.Abstractions;
using Scope.Grains.Placement;

namespace Scope.Grains;

/// <summary>
/// One process: lifecycle and syscall totals (cumulative, as the kernel counts them), its CUDA ledger
/// when it makes CUDA calls (ProcessGrain.Cuda.cs) and its Python profile when it runs Python
/// (ProcessGrain.Python.cs), both built from its records (ProcessGrain.History.cs).
/// </summary>
[MachinePinned(MachineKey.ProcessKey), Immovable]
internal sealed partial class ProcessGrain(IProcessRecordStore store, IOptions<CudaOptions> cudaOptions, ILogger<ProcessGrain> log)
    : Grain, IProcessGrain
{
    private readonly IProcessRecordStore _store = store;
    private readonly CudaOptions _cudaOptions = cudaOptions.Value;
    private readonly ILogger<ProcessGrain> _log = log;
    private readonly Dictionary<uint, SyscallTotals> _syscalls = [];
    private string? _comm;
    private ProcessExecInfo? _exec;
    private ProcessExitInfo? _exit;
    private long _lastSeen;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        MachinePinning.EnsureOnItsMachine(this);
        return Task.CompletedTask;
    }

    public async Task Apply(ProcessDelta delta)
    {
        _comm = delta.Exec is not null ? delta.Comm : _comm ?? delta.Comm;
        _exec = delta.Exec ?? _exec;
        _exit = delta.Exit ?? _exit;
        _lastSeen = Math.Max(_lastSeen, delta.LastSeenUnixNs);
        foreach (var t in delta.Totals)
        {
            // Reports are cumulative, but may arrive as a count record and a histogram record apart.
            if (_syscalls.TryGetValue(t.Nr, out var old))
            {
                var newer = t.Count >= old.Count ? t : old;
                _syscalls[t.Nr] = newer with
                {
                    Histogram = t.Histogram ?? old.Histogram,
                    Count = Math.Max(t.Count, old.Count),
                    Final = t.Final || old.Final,
                };
            }
            else
            {
                _syscalls[t.Nr] = t;
            }
        }
        if (!delta.Records.IsEmpty)
            await ApplyHistory(delta);
    }

    public Task<ProcessSnapshot> GetSnapshot() => Task.FromResult(new ProcessSnapshot(
        this.GetPrimaryKeyString(), _comm, _exec, _exit, [.. _syscalls.Values.OrderBy(s => s.Nr)], _lastSeen));
}
