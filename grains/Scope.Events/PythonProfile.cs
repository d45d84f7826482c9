using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Scope.Events;

/// <summary>
/// The Python profile of one process, from its <see cref="PythonSample"/>, <see cref="PythonCode"/> and
/// <see cref="PythonCall"/> records: a call tree of the sampled stacks with inclusive and self counts,
/// folded stacks, the hottest functions and lines, and the exact calls the USDT probes reported. Plain
/// C#, so the silo and the CLI share it. Not thread-safe: one caller at a time.
/// </summary>
/// <remarks>
/// Samples are kept by code object; names are resolved when asked for, so a <see cref="PythonCode"/>
/// record may arrive before or after the samples it names. Frames with the same function and file are
/// one frame in every view (two code objects of one lambda, say). Samples taken at a CUDA call
/// (<see cref="Wire.PyAtCuda"/>) are not samples and are skipped. Every table is bounded by
/// <see cref="MaxEntries"/>: a sample that would need more is dropped whole and counted in
/// <see cref="DroppedSamples"/>, a call in <see cref="DroppedCalls"/>. Malformed records are ignored.
/// </remarks>
public sealed partial class PythonProfile
{
    /// <summary>The default for <see cref="MaxEntries"/>.</summary>
    public const int DefaultMaxEntries = 100_000;

    private readonly Node _root = new(0);

    // Samples deeper than the 64 frames a record holds: their outermost frames are missing, so they hang
    // under a "[truncated]" frame of their own rather than under whatever their 64th frame was.
    private readonly Node _deepRoot = new(0);
    private readonly Dictionary<(ulong Code, uint Line), long> _lines = [];
    private readonly Dictionary<ulong, (string Function, string File)> _codes = [];
    private readonly Dictionary<(string Function, string File), CallSum> _calls = [];
    private int _nodes;

    /// <summary>An empty profile.</summary>
    /// <param name="maxEntries">The most tree nodes plus (code, line) counters, and separately the most named
    /// code objects and the most distinct called functions, it keeps.</param>
    public PythonProfile(int maxEntries = DefaultMaxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        MaxEntries = maxEntries;
    }

    /// <summary>The bound on each table (see the remarks of <see cref="PythonProfile"/>).</summary>
    public int MaxEntries { get; }

    /// <summary>Samples with Python frames in the profile (dropped ones not included).</summary>
    public long Samples { get; private set; }

    /// <summary>Samples of a thread that was not running Python (no thread state, or no frames).</summary>
    public long NoPythonSamples { get; private set; }

    /// <summary>Samples in the profile whose stack was deeper than <see cref="Wire.PyMaxFrames"/> frames.</summary>
    public long DeepSamples { get; private set; }

    /// <summary>Samples with frames left out because the tree was full.</summary>
    public long DroppedSamples { get; private set; }

    /// <summary>Exact calls (<see cref="PythonCall"/> records) in the call totals.</summary>
    public long Calls { get; private set; }

    /// <summary>Calls left out because <see cref="MaxEntries"/> distinct functions were already counted.</summary>
    public long DroppedCalls { get; private set; }

    /// <summary>Records ignored because they were too short or their size field was not their type's.</summary>
    public long Malformed { get; private set; }

    /// <summary>Tree nodes plus (code, line) counters in use.</summary>
    public int Entries => _nodes + _lines.Count;

    /// <summary>
    /// Applies one record of this process. Types other than 12, 13 and 14 are ignored, and so is anything
    /// malformed: records come from storage or the wire, and one bad record must not stop the rest.
    /// </summary>
    /// <param name="record">The record's bytes, header included.</param>
    public void Apply(ReadOnlySpan<byte> record)
    {
        if (record.Length < Wire.EventHeaderSize)
        {
            Malformed++;
            return;
        }

        var type = (RecordType)BinaryPrimitives.ReadUInt16LittleEndian(record);
        if (type is not (RecordType.PythonSample or RecordType.PythonCode or RecordType.PythonCall))
            return;
        int size = Wire.RecordSize(type);
        if (record.Length < size || BinaryPrimitives.ReadUInt16LittleEndian(record[2..]) != size)
        {
            Malformed++;
            return;
        }

        record = record[..size];
        switch (type)
        {
            case RecordType.PythonSample:
                ApplySample(MemoryMarshal.AsRef<PythonSample>(record));
                break;
            case RecordType.PythonCode:
                ApplyCode(MemoryMarshal.AsRef<PythonCode>(record));
                break;
            case RecordType.PythonCall:
                ApplyCall(MemoryMarshal.AsRef<PythonCall>(record));
                break;
        }
    }

    private void ApplySample(in PythonSample s)
    {
        if ((s.Flags & Wire.PyAtCuda) != 0)
            return;
        ReadOnlySpan<PyFrame> frames = s.ValidFrames;
        if (s.NoThreadState || frames.IsEmpty)
        {
            NoPythonSamples++;
            return;
        }

        // All or nothing: find how many nodes and counters this stack needs before touching anything.
        Node top = s.Truncated ? _deepRoot : _root;
        Node n = top;
        int i = frames.Length - 1;
        while (i >= 0 && n.Children is not null && n.Children.TryGetValue(frames[i].Code, out var child))
        {
            n = child;
            i--;
        }

        var lineKey = (frames[0].Code, frames[0].Line);
        int needed = (i + 1) + (_lines.ContainsKey(lineKey) ? 0 : 1);
        if ((long)Entries + needed > MaxEntries)
        {
            DroppedSamples++;
            return;
        }

        // Outermost frame first: the last one in the record.
        n = top;
        n.Inclusive++;
        for (i = frames.Length - 1; i >= 0; i--)
        {
            ulong code = frames[i].Code;
            n.Children ??= [];
            if (!n.Children.TryGetValue(code, out var child))
            {
                child = new Node(code);
                n.Children[code] = child;
                _nodes++;
            }

            n = child;
            n.Inclusive++;
        }

        n.Self++;
        CollectionsMarshal.GetValueRefOrAddDefault(_lines, lineKey, out _)++;
        Samples++;
        if (s.Truncated)
            DeepSamples++;
    }

    private void ApplyCode(in PythonCode c)
    {
        if (c.Unreadable)
            return;
        if (_codes.Count >= MaxEntries && !_codes.ContainsKey(c.Code))
            return;
        _codes[c.Code] = (c.Qualname.AsString(), c.Filename.AsString());
    }

    private void ApplyCall(in PythonCall c)
    {
        var key = (c.Function.AsString(), c.File.AsString());
        if (!_calls.TryGetValue(key, out var totals))
        {
            if (_calls.Count >= MaxEntries)
            {
                DroppedCalls++;
                return;
            }

            totals = new CallSum();
            _calls[key] = totals;
        }

        totals.Count++;
        totals.TotalNs = ulong.MaxValue - totals.TotalNs < c.DurNs ? ulong.MaxValue : totals.TotalNs + c.DurNs;
        totals.MaxNs = Math.Max(totals.MaxNs, c.DurNs);
        Calls++;
    }

    /// <summary>A node of the tree of sampled stacks, keyed by code object (names come at query time).</summary>
    private sealed class Node(ulong code)
    {
        public ulong Code { get; } = code;

        public long Self { get; set; }

        public long Inclusive { get; set; }

        public Dictionary<ulong, Node>? Children { get; set; }
    }

    private sealed class CallSum
    {
        public long Count { get; set; }

        public ulong TotalNs { get; set; }

        public ulong MaxNs { get; set; }
    }
}
