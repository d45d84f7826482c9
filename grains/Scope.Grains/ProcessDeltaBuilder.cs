using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using Scope.Abstractions;
using Scope.Events;

namespace Scope.Grains;

/// <summary>Splits a batch's records by process: one delta per process, so one grain call per process per batch.</summary>
internal static class ProcessDeltaBuilder
{
    private sealed class Pending
    {
        public string? Comm;
        public ProcessExecInfo? Exec;
        public ProcessExitInfo? Exit;
        public long LastSeen;
        public int Forks;
        public int SyscallRecords;
        public Dictionary<uint, SyscallTotals>? Totals;
        // The records the grain's CUDA ledger and Python profile read (types 8-14, and the exit), raw,
        // in batch order.
        public ArrayBufferWriter<byte>? Kept;

        public void Keep(ReadOnlySpan<byte> record)
        {
            Kept ??= new ArrayBufferWriter<byte>(record.Length * 4);
            Kept.Write(record);
        }
    }

    public static Dictionary<string, ProcessDelta> Build(EventBatch batch, out int unknownRecords)
    {
        var byProcess = new Dictionary<(uint Pid, ulong StartNs), Pending>();
        var records = BatchReader.EnumerateRecords(batch.Payload.Span);
        while (records.MoveNext())
        {
            var r = records.Current;
            ref readonly var h = ref r.Header;
            ref var p = ref CollectionsMarshal.GetValueRefOrAddDefault(byProcess, (h.Pid, h.StartNs), out _);
            p ??= new Pending();
            var unixNs = batch.ToUnixNanos(h.TsNs);
            p.LastSeen = Math.Max(p.LastSeen, unixNs);
            switch (r.Type)
            {
                case RecordType.ProcessExec:
                    {
                        ref readonly var e = ref r.As<ProcessExec>();
                        p.Comm = h.Comm.AsString();
                        p.Exec = new ProcessExecInfo(
                            Encoding.UTF8.GetString(e.Filename.AsSpan()[..Math.Min((int)e.FilenameLen, Text256.Length)]),
                            e.Arguments(),
                            e.Info.Ppid, e.Info.Uid, unixNs);
                        break;
                    }
                case RecordType.ProcessFork:
                    p.Forks++;
                    break;
                case RecordType.ProcessExit:
                    {
                        ref readonly var e = ref r.As<ProcessExit>();
                        p.Exit = new ProcessExitInfo(e.ExitCode, e.Signal, unixNs);
                        // Travels even for a process with no CUDA records in this batch (72 bytes,
                        // once per process): only its grain knows whether it holds a ledger to close.
                        p.Keep(r.Bytes);
                        break;
                    }
                case RecordType.Syscall:
                case RecordType.SyscallData:
                    p.SyscallRecords++;
                    break;
                case RecordType.SyscallCounts:
                    {
                        ref readonly var c = ref r.As<SyscallCounts>();
                        var final = c.Final;
                        p.Totals ??= [];
                        foreach (var e in c.Valid)
                        {
                            p.Totals.TryGetValue(e.Nr, out var old);
                            // Records of one flush carry disjoint syscalls; a later flush supersedes.
                            p.Totals[e.Nr] = new SyscallTotals(e.Nr, e.Count, e.Errors, e.TotalNs, old?.Histogram, final);
                        }
                        break;
                    }
                case RecordType.CudaCall:
                case RecordType.CudaRegister:
                case RecordType.CudaStack:
                case RecordType.Symbol:
                case RecordType.PythonCode:
                case RecordType.PythonSample:
                case RecordType.PythonCall:
                    p.Keep(r.Bytes);
                    break;
                case RecordType.SyscallHist:
                    {
                        ref readonly var hist = ref r.As<SyscallHist>();
                        p.Totals ??= [];
                        p.Totals.TryGetValue(hist.Nr, out var old);
                        var buckets = hist.Buckets.AsSpan().ToArray();
                        p.Totals[hist.Nr] = old is null
                            ? new SyscallTotals(hist.Nr, 0, 0, 0, buckets, hist.Final)
                            : old with { Histogram = buckets };
                        break;
                    }
            }
            p.Comm ??= h.Comm.AsString();
        }
        unknownRecords = records.UnknownRecords;

        var unixOffsetNs = unchecked((long)batch.RealtimeNs - (long)batch.BoottimeNs);
        var endEvent = batch.FirstEvent + (ulong)batch.RecordCount;
        var deltas = new Dictionary<string, ProcessDelta>(byProcess.Count);
        foreach (var ((pid, startNs), p) in byProcess)
        {
            deltas[ProcessKey.Format(batch.MachineId, pid, startNs)] = new ProcessDelta
            {
                Comm = p.Comm,
                Exec = p.Exec,
                Exit = p.Exit,
                LastSeenUnixNs = p.LastSeen,
                Forks = p.Forks,
                SyscallRecords = p.SyscallRecords,
                Totals = p.Totals is null ? [] : [.. p.Totals.Values],
                Records = p.Kept?.WrittenMemory ?? ReadOnlyMemory<byte>.Empty,
                UnixOffsetNs = unixOffsetNs,
                CollectorId = batch.CollectorId,
                Instance = batch.Instance,
                FirstEvent = batch.FirstEvent,
                EndEvent = endEvent,
            };
        }
        return deltas;
    }
}
