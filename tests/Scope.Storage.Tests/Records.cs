using System.Buffers.Binary;
using System.Text;
using Scope.Abstractions;

namespace Scope.Storage.Tests;

/// <summary>Synthetic wire records, laid out by the offsets in bpf/scope_events.h, independently of the code under test.</summary>
public static class Records
{
    public static byte[] Header(ushort type, int size, ulong ts, ulong startNs, uint pid, uint tid, string comm)
    {
        var r = new byte[size];
        BinaryPrimitives.WriteUInt16LittleEndian(r, type);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(2), (ushort)size);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(4), 3); // cpu
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(8), ts);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(16), startNs);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(24), pid);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(28), tid);
        Encoding.UTF8.GetBytes(comm).AsSpan(0, Math.Min(comm.Length, 15)).CopyTo(r.AsSpan(32));
        return r;
    }

    private static void Info(byte[] r, uint ppid, uint uid, ulong cgroup)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(48), ppid);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(52), uid);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(56), cgroup);
    }

    public static byte[] Exec(ulong ts, ulong startNs, uint pid, string comm, uint ppid, uint uid, ulong cgroup, string filename, params string[] argv)
    {
        var r = Header(1, 1360, ts, startNs, pid, pid, comm);
        Info(r, ppid, uid, cgroup);
        var f = Encoding.UTF8.GetBytes(filename);
        var a = argv.SelectMany(s => Encoding.UTF8.GetBytes(s).Append((byte)0)).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(64), (uint)argv.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(68), (ushort)f.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(70), (ushort)a.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(76), pid); // old_pid
        f.CopyTo(r.AsSpan(80));
        a.CopyTo(r.AsSpan(336));
        return r;
    }

    public static byte[] Fork(ulong ts, ulong startNs, uint pid, string comm, uint ppid, uint childPid, ulong childStartNs)
    {
        var r = Header(2, 80, ts, startNs, pid, pid, comm);
        Info(r, ppid, 1000, 77);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(64), childPid);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(72), childStartNs);
        return r;
    }

    public static byte[] Exit(ulong ts, ulong startNs, uint pid, string comm, int exitCode, ushort signal, uint ppid = 1, ulong cgroup = 77)
    {
        var r = Header(3, 72, ts, startNs, pid, pid, comm);
        Info(r, ppid, 1000, cgroup);
        BinaryPrimitives.WriteInt32LittleEndian(r.AsSpan(64), exitCode);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(68), signal);
        return r;
    }

    public static byte[] Syscall(ulong ts, ulong startNs, uint pid, uint tid, string comm, uint nr, long ret, ulong durNs)
    {
        var r = Header(4, 120, ts, startNs, pid, tid, comm);
        SyscallBody(r, nr, ret, durNs);
        return r;
    }

    public static byte[] SyscallData(ulong ts, ulong startNs, uint pid, string comm, uint nr, long ret, ulong durNs, string path)
    {
        var r = Header(5, 384, ts, startNs, pid, pid, comm);
        SyscallBody(r, nr, ret, durNs);
        var p = Encoding.UTF8.GetBytes(path);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(120), (ushort)(p.Length + 1));
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(122), 1);
        p.CopyTo(r.AsSpan(128));
        return r;
    }

    private static void SyscallBody(byte[] r, uint nr, long ret, ulong durNs)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(48), nr);
        BinaryPrimitives.WriteInt64LittleEndian(r.AsSpan(56), ret);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(64), durNs);
        for (int i = 0; i < 6; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(72 + (8 * i)), (ulong)(i + 1));
    }

    public static byte[] Counts(ulong ts, ulong startNs, uint pid, string comm, bool final, params (uint Nr, ulong Count, ulong Errors, ulong TotalNs)[] entries)
    {
        var r = Header(6, 1080, ts, startNs, pid, pid, comm);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(48), (ushort)entries.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(50), (ushort)(final ? 1 : 0));
        for (int i = 0; i < entries.Length; i++)
        {
            var e = r.AsSpan(56 + (32 * i));
            BinaryPrimitives.WriteUInt32LittleEndian(e, entries[i].Nr);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], entries[i].Count);
            BinaryPrimitives.WriteUInt64LittleEndian(e[16..], entries[i].Errors);
            BinaryPrimitives.WriteUInt64LittleEndian(e[24..], entries[i].TotalNs);
        }
        return r;
    }

    public static byte[] Hist(ulong ts, ulong startNs, uint pid, string comm, uint nr, bool final, uint[] buckets)
    {
        var r = Header(7, 440, ts, startNs, pid, pid, comm);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(48), nr);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(52), (ushort)(final ? 1 : 0));
        for (int i = 0; i < buckets.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(56 + (4 * i)), buckets[i]);
        return r;
    }

    /// <summary>struct scope_cuda_call (144 bytes).</summary>
    public static byte[] CudaCall(ulong ts, ulong startNs, uint pid, uint tid, string comm, ushort api, int ret, ulong address, ulong bytes,
        int kind = -1, int device = 0, ushort flags = 0, ulong durNs = 1000)
    {
        var r = Header(8, 144, ts, startNs, pid, tid, comm);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(48), api);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(50), flags);
        BinaryPrimitives.WriteInt32LittleEndian(r.AsSpan(52), ret);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(56), durNs);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(64), address);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(80), bytes);
        BinaryPrimitives.WriteInt32LittleEndian(r.AsSpan(132), kind);
        BinaryPrimitives.WriteInt32LittleEndian(r.AsSpan(136), device);
        return r;
    }

    /// <summary>struct scope_cuda_register (592 bytes), kind 2 (function): host_fun named <paramref name="kernel"/>.</summary>
    public static byte[] CudaRegister(ulong ts, ulong startNs, uint pid, string comm, ulong hostFun, string kernel)
    {
        var r = Header(9, 592, ts, startNs, pid, pid, comm);
        var name = Encoding.UTF8.GetBytes(kernel);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(48), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(50), (ushort)name.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(64), hostFun);
        name.CopyTo(r.AsSpan(80));
        name.CopyTo(r.AsSpan(336));
        return r;
    }

    /// <summary>struct scope_cuda_stack (312 bytes): the stack of the call that follows on the same thread at the same time.</summary>
    public static byte[] CudaStack(ulong ts, ulong startNs, uint pid, uint tid, string comm, ushort api, params ulong[] ips)
    {
        var r = Header(10, 312, ts, startNs, pid, tid, comm);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(48), api);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(50), (ushort)ips.Length);
        for (int i = 0; i < ips.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(56 + (8 * i)), ips[i]);
        return r;
    }

    /// <summary>struct scope_symbol (392 bytes).</summary>
    public static byte[] Symbol(ulong ts, ulong startNs, uint pid, string comm, ulong addr, ulong offset, string module, string name)
    {
        var r = Header(11, 392, ts, startNs, pid, pid, comm);
        var n = Encoding.UTF8.GetBytes(name);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(48), addr);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(56), offset);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(64), (ushort)n.Length);
        Encoding.UTF8.GetBytes(module).CopyTo(r.AsSpan(72));
        n.CopyTo(r.AsSpan(136));
        return r;
    }

    /// <summary>struct scope_python_sample (1336 bytes), interpreter 3.12: frames innermost first, then native ips.</summary>
    public static byte[] PythonSample(ulong ts, ulong startNs, uint pid, uint tid, string comm, (ulong Code, int Instr, uint Line)[] frames, params ulong[] native)
    {
        var r = Header(12, 1336, ts, startNs, pid, tid, comm);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(48), (ushort)frames.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(52), 0x030C);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(54), (ushort)native.Length);
        for (int i = 0; i < frames.Length; i++)
        {
            var f = r.AsSpan(56 + (16 * i));
            BinaryPrimitives.WriteUInt64LittleEndian(f, frames[i].Code);
            BinaryPrimitives.WriteInt32LittleEndian(f[8..], frames[i].Instr);
            BinaryPrimitives.WriteUInt32LittleEndian(f[12..], frames[i].Line);
        }
        for (int i = 0; i < native.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(1080 + (8 * i)), native[i]);
        return r;
    }

    /// <summary>struct scope_python_code (448 bytes).</summary>
    public static byte[] PythonCode(ulong ts, ulong startNs, uint pid, string comm, ulong code, uint firstLine, string qualname, string filename)
    {
        var r = Header(13, 448, ts, startNs, pid, pid, comm);
        BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(48), code);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(56), firstLine);
        Encoding.UTF8.GetBytes(qualname).CopyTo(r.AsSpan(64));
        Encoding.UTF8.GetBytes(filename).CopyTo(r.AsSpan(192));
        return r;
    }
}

/// <summary>Builds the batches of one collector run, numbering sequences and events as the collector does.</summary>
public sealed class Run
{
    /// <summary>Boot-time ns of the batches' clock pair; record times are this plus an offset.</summary>
    public const ulong Boot = 5_000_000_000_000;

    public Run(string machineId, string collectorId = "c1", ulong? instance = null, DateTimeOffset? wallAtBoot = null)
    {
        MachineId = machineId;
        CollectorId = collectorId;
        // High bit set: the u64 -> bigint reinterpretation must round-trip.
        Instance = instance ?? (0x8000_0000_0000_0000UL | (ulong)Random.Shared.NextInt64());
        WallAtBoot = wallAtBoot ?? DateTimeOffset.UtcNow.AddMinutes(-1);
    }

    public string MachineId { get; }
    public string CollectorId { get; }
    public ulong Instance { get; }
    public DateTimeOffset WallAtBoot { get; }
    public ulong Sequence { get; private set; }
    public ulong NextEvent { get; set; }
    public ulong SendDrops { get; set; }
    public ulong[] KernelDrops { get; } = new ulong[3];

    /// <summary>Boot-time ns <paramref name="ms"/> milliseconds after <see cref="WallAtBoot"/>.</summary>
    public static ulong At(double ms) => Boot + (ulong)(ms * 1_000_000);

    public DateTimeOffset WallOf(ulong bootNs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks((WallAtBoot.ToUnixTimeMilliseconds() * 1_000_000 + (long)(bootNs - Boot)) / 1000 * 10);

    /// <summary>The next batch of records; <paramref name="lostBefore"/> records are skipped before it (a gap).</summary>
    public EventBatch Batch(IReadOnlyList<byte[]> records, ulong lostBefore = 0, bool final = false)
    {
        NextEvent += lostBefore;
        var batch = new EventBatch
        {
            MachineId = MachineId,
            CollectorId = CollectorId,
            Instance = Instance,
            Sequence = ++Sequence,
            FirstEvent = NextEvent,
            RecordCount = records.Count,
            RealtimeNs = (ulong)(WallAtBoot.ToUnixTimeMilliseconds() * 1_000_000),
            BoottimeNs = Boot,
            KernelDrops = [.. KernelDrops],
            SendDrops = SendDrops,
            CollectorVersion = "1.2.3",
            TaskId = "task-" + CollectorId,
            Final = final,
            ReceivedAt = DateTimeOffset.UtcNow,
            Payload = records.SelectMany(r => r).ToArray(),
            GapBefore = lostBefore,
        };
        NextEvent += (ulong)records.Count;
        return batch;
    }
}
