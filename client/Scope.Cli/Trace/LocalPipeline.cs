using System.Runtime.InteropServices;
using Scope.Events;

namespace Scope.Cli.Trace;

/// <summary>
/// What the silo's process grains do, for the processes of one local run: each process's records go
/// to the same models the grains keep (<see cref="CudaLedger"/>, <see cref="PythonProfile"/>,
/// <see cref="SyscallSummary"/>) and to the timeline. Fed by one thread; read by the progress line
/// (counters only) and, once the run is over, by the summary.
/// </summary>
internal sealed class LocalPipeline(Action<ReadOnlySpan<byte>>? timeline = null)
{
    private readonly Dictionary<(uint Pid, ulong StartNs), TracedProcess> _processes = [];
    private long _records;
    private ulong _nextEvent;

    public long Records => Interlocked.Read(ref _records);

    public long Batches { get; private set; }

    /// <summary>Cumulative, as the last batch said: ring buffer full, entry map full, counter map full.</summary>
    public ulong[] KernelDrops { get; private set; } = new ulong[DropCounts3.Length];

    /// <summary>Records the collector dropped because its queue was full (cumulative).</summary>
    public ulong SendDrops { get; private set; }

    /// <summary>Records lost between the collector and here (jumps in the batches' numbering not explained by SendDrops).</summary>
    public ulong Gaps { get; private set; }

    public IReadOnlyCollection<TracedProcess> Processes => _processes.Values;

    public void Add(in BatchHeader header, ReadOnlyMemory<byte> payload)
    {
        Batches++;
        var drops = header.KernelDrops.AsSpan();
        for (int i = 0; i < drops.Length; i++)
            KernelDrops[i] = Math.Max(KernelDrops[i], drops[i]);
        ulong sendBefore = SendDrops;
        SendDrops = Math.Max(SendDrops, header.SendDrops);
        if (header.FirstEvent > _nextEvent)
        {
            ulong missing = header.FirstEvent - _nextEvent, explained = SendDrops - sendBefore;
            Gaps += missing > explained ? missing - explained : 0;
        }
        _nextEvent = Math.Max(_nextEvent, header.FirstEvent + header.RecordCount);

        long unixOffsetNs = unchecked((long)header.RealtimeNs - (long)header.BoottimeNs);
        var walk = BatchReader.EnumerateRecords(payload.Span);
        while (walk.MoveNext())
        {
            var r = walk.Current;
            Interlocked.Increment(ref _records);
            ref readonly var h = ref r.Header;
            ref var p = ref CollectionsMarshal.GetValueRefOrAddDefault(_processes, (h.Pid, h.StartNs), out _);
            p ??= new TracedProcess(h.Pid, h.StartNs, h.Comm.AsString());
            p.Apply(r, unixOffsetNs);
            timeline?.Invoke(r.Bytes);
        }
    }
}

/// <summary>One process of the run and its models.</summary>
internal sealed class TracedProcess(uint pid, ulong startNs, string comm)
{
    public uint Pid { get; } = pid;

    public ulong StartNs { get; } = startNs;

    public string Comm { get; private set; } = comm;

    public IReadOnlyList<string> Argv { get; private set; } = [];

    public int? ExitCode { get; private set; }

    public int? Signal { get; private set; }

    public CudaLedger? Cuda { get; private set; }

    public PythonProfile? Python { get; private set; }

    public SyscallSummary Syscalls { get; } = new();

    public void Apply(Record r, long unixOffsetNs)
    {
        switch (r.Type)
        {
            case RecordType.ProcessExec:
                {
                    ref readonly var e = ref r.As<ProcessExec>();
                    Comm = r.Header.Comm.AsString();
                    Argv = e.Arguments();
                    break;
                }
            case RecordType.ProcessExit:
                {
                    ref readonly var e = ref r.As<ProcessExit>();
                    (ExitCode, Signal) = (e.ExitCode, e.Signal);
                    Cuda?.Apply(r.Bytes, unixOffsetNs);
                    break;
                }
            case RecordType.SyscallCounts or RecordType.SyscallHist:
                Syscalls.Apply(r.Bytes);
                break;
            case RecordType.CudaCall or RecordType.CudaRegister or RecordType.CudaStack or RecordType.Symbol:
                (Cuda ??= new CudaLedger()).Apply(r.Bytes, unixOffsetNs);
                break;
            case RecordType.PythonSample or RecordType.PythonCode or RecordType.PythonCall:
                // Code names and the stacks taken at CUDA calls are the ledger's too (the Python line of
                // an allocation); the profile skips the latter itself.
                if (r.Type != RecordType.PythonCall)
                    (Cuda ??= new CudaLedger()).Apply(r.Bytes, unixOffsetNs);
                (Python ??= new PythonProfile()).Apply(r.Bytes);
                break;
        }
    }
}
