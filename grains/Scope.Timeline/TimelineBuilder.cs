using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Scope.Events;

namespace Scope.Timeline;

/// <summary>
/// Builds the timeline of traced processes from their raw wire records, fed one at a time in the order
/// the collector emitted them (several processes may be interleaved), and writes it in chunks: one
/// process track per process, one thread track per thread with its Python, CUDA and syscall slices
/// nested, counters of GPU memory and syscall rate, instants for exec, exit and CUDA errors, and flow
/// arrows from kernel launches to the synchronize that waits for them (docs/timeline.md).
/// </summary>
/// <remarks>
/// <see cref="Flush"/> writes what is buffered as one self-contained chunk and forgets it, keeping only
/// what later chunks need (names, tracks, counters' last values, launches waiting for a synchronize);
/// <see cref="Complete"/> writes the last chunk and finishes the document. Memory is bounded by
/// <see cref="TimelineOptions"/>: a caller flushes when <see cref="ShouldFlush"/> says so. Output depends
/// only on the records and the flush points, never on timing. Not thread-safe: one caller at a time.
/// </remarks>
public sealed partial class TimelineBuilder
{
    private readonly TimelineOptions _options;
    private readonly Dictionary<(uint Pid, ulong StartNs), ProcessTimeline> _processes = [];
    private readonly List<PendingInstant> _instants = [];
    private readonly List<PendingCounter> _counters = [];
    private int _threads;
    private long _seq;
    private bool _completed;

    /// <summary>An empty builder.</summary>
    public TimelineBuilder(TimelineOptions? options = null)
    {
        _options = options ?? new TimelineOptions();
        _options.Validate();
    }

    /// <summary>Events buffered for the next chunk: slices, Python stacks, instants and counter values.</summary>
    public int BufferedEvents { get; private set; }

    /// <summary>The buffer is full (<see cref="TimelineOptions.MaxBufferedEvents"/>): flush now, or further events are dropped.</summary>
    public bool ShouldFlush => BufferedEvents >= _options.MaxBufferedEvents;

    /// <summary>Records accepted (of a known type and well formed).</summary>
    public long Records { get; private set; }

    /// <summary>Records ignored as malformed: shorter than their header or type, or a size field that is not their type's.</summary>
    public long Malformed { get; private set; }

    /// <summary>Records of a type this version does not know, skipped.</summary>
    public long Unknown { get; private set; }

    /// <summary>
    /// Events left out: arrived while the buffer was full, of a thread beyond <see cref="TimelineOptions.MaxThreads"/>,
    /// Python samples deeper than the 64 frames a record holds (their outer frames are unknown), and
    /// slices clipped to nothing.
    /// </summary>
    public long Dropped { get; private set; }

    /// <summary>Slices whose end was moved so that their thread's slices nest (derived and real).</summary>
    public long Clipped { get; private set; }

    /// <summary>Of <see cref="Clipped"/>, the real ones (probe-measured calls that overlapped through clock skew, or arrived after a chunk that conflicts with them).</summary>
    public long ClippedReal { get; private set; }

    /// <summary>Syscalls that arrived after their rate bucket was written: on their thread's track, not in the rate.</summary>
    public long LateSyscalls { get; private set; }

    /// <summary>Chunks written.</summary>
    public int Chunks { get; private set; }

    /// <summary>uretprobe syscalls left out: the kernel's trampoline for a tracer's return probes, not the program's work.</summary>
    public long TracerSyscalls { get; private set; }

    /// <summary>
    /// Adds one record (header included). A record of an unknown type is counted in <see cref="Unknown"/>,
    /// a malformed one in <see cref="Malformed"/>; neither stops the rest.
    /// </summary>
    /// <exception cref="InvalidOperationException">After <see cref="Complete"/>.</exception>
    public void Add(ReadOnlySpan<byte> record)
    {
        ThrowIfCompleted();
        if (record.Length < Wire.EventHeaderSize)
        {
            Malformed++;
            return;
        }

        var type = (RecordType)BinaryPrimitives.ReadUInt16LittleEndian(record);
        int sizeField = BinaryPrimitives.ReadUInt16LittleEndian(record[2..]);
        int size = Wire.RecordSize(type);
        if (size == 0)
        {
            if (sizeField >= Wire.EventHeaderSize && sizeField <= record.Length)
                Unknown++;
            else
                Malformed++;
            return;
        }

        if (sizeField != size || record.Length < size)
        {
            Malformed++;
            return;
        }

        record = record[..size];
        Records++;
        switch (type)
        {
            case RecordType.ProcessExec:
                OnExec(MemoryMarshal.AsRef<ProcessExec>(record));
                break;
            case RecordType.ProcessExit:
                OnExit(MemoryMarshal.AsRef<ProcessExit>(record));
                break;
            case RecordType.Syscall:
                OnSyscall(MemoryMarshal.AsRef<Syscall>(record), null);
                break;
            case RecordType.SyscallData:
                ref readonly SyscallData data = ref MemoryMarshal.AsRef<SyscallData>(record);
                OnSyscall(data.Sc, data.DataKind == Wire.DataPath ? PathOf(data) : null);
                break;
            case RecordType.CudaCall:
                OnCudaCall(MemoryMarshal.AsRef<CudaCall>(record), record);
                break;
            case RecordType.CudaRegister:
                // The ledger names kernels for the summary views; the timeline asks it the same way.
                Process(MemoryMarshal.AsRef<EventHeader>(record)).Ledger.Apply(record, 0);
                break;
            case RecordType.PythonSample:
                OnPythonSample(MemoryMarshal.AsRef<PythonSample>(record));
                break;
            case RecordType.PythonCode:
                Process(MemoryMarshal.AsRef<EventHeader>(record)).Codes.Apply(record);
                break;
            case RecordType.PythonCall:
                OnPythonCall(MemoryMarshal.AsRef<PythonCall>(record));
                break;
        }
    }

    /// <summary>
    /// Adds records back to back (a batch payload, or stored records), by <see cref="BatchReader.EnumerateRecords"/>.
    /// A malformed record ends the walk and counts once in <see cref="Malformed"/>.
    /// </summary>
    public void AddRecords(ReadOnlySpan<byte> records)
    {
        ThrowIfCompleted();
        RecordEnumerator walk = BatchReader.EnumerateRecords(records);
        while (walk.MoveNext())
            Add(walk.Current.Bytes);
        Unknown += walk.UnknownRecords;
        if (walk.Error != BatchRejectReason.None)
            Malformed++;
    }

    /// <summary>
    /// Writes everything buffered as one self-contained chunk and forgets it. Derived Python frames still
    /// open end at the last stack seen; the next chunk opens them again where it sees them.
    /// </summary>
    /// <exception cref="InvalidOperationException">After <see cref="Complete"/>.</exception>
    public void Flush(ITraceWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ThrowIfCompleted();
        WriteChunk(writer, final: false);
    }

    /// <summary>Writes the last chunk (every pending rate bucket and held stack included) and finishes the document.</summary>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public void Complete(ITraceWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ThrowIfCompleted();
        WriteChunk(writer, final: true);
        writer.Finish();
        _completed = true;
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
            throw new InvalidOperationException("The timeline was completed.");
    }

    private ProcessTimeline Process(in EventHeader h)
    {
        if (!_processes.TryGetValue((h.Pid, h.StartNs), out ProcessTimeline? p))
        {
            p = new ProcessTimeline(h.Pid, h.StartNs, h.Comm.AsString(), _options) { NameSettled = h.Tid == h.Pid };
            _processes[(h.Pid, h.StartNs)] = p;
        }
        else if (!p.NameSettled && h.Tid == h.Pid)
        {
            // Without an exec, the process is named after its leader thread once one of its records comes.
            p.Comm = h.Comm.AsString();
            p.NameSettled = true;
        }

        return p;
    }

    private ThreadTimeline? Thread(ProcessTimeline p, in EventHeader h)
    {
        if (!p.Threads.TryGetValue(h.Tid, out ThreadTimeline? t))
        {
            if (_threads >= _options.MaxThreads)
            {
                Dropped++;
                return null;
            }

            t = new ThreadTimeline(h.Tid, TrackIds.Thread(p.Uuid, h.Tid));
            p.Threads[h.Tid] = t;
            _threads++;
        }

        t.Comm = h.Comm;
        return t;
    }

    // One more event for the chunk, unless it is full.
    private bool Reserve()
    {
        if (BufferedEvents >= _options.MaxBufferedEvents)
        {
            Dropped++;
            return false;
        }

        BufferedEvents++;
        return true;
    }

    private void AddInstant(ulong track, ulong tsNs, string name, string category, TraceArg[] args)
    {
        if (Reserve())
            _instants.Add(new PendingInstant(new TraceInstant(track, tsNs, name, category, args), _seq++));
    }

    private void AddCounter(ulong track, ulong tsNs, long? bytes, double rate)
    {
        if (Reserve())
            _counters.Add(new PendingCounter(track, tsNs, bytes, rate, _seq++));
    }

    private readonly record struct PendingInstant(TraceInstant Instant, long Seq);

    private readonly record struct PendingCounter(ulong Track, ulong TsNs, long? Bytes, double Rate, long Seq);
}
