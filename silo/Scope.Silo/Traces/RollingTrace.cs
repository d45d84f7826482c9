using Scope.Timeline;

namespace Scope.Silo.Traces;

/// <summary>
/// One process's rolling Perfetto trace: its records go to a <see cref="TimelineBuilder"/>, whose
/// chunks are appended to the file. A Perfetto trace is a sequence of packets and each chunk starts
/// its own incremental state, so the file is a valid trace after every chunk, and a reopened file
/// (after an idle close or a silo restart) just gets more chunks. <see cref="CommittedBytes"/> is
/// where the last whole chunk ends: what a reader may serve while the file grows.
/// </summary>
internal sealed class RollingTrace : IDisposable
{
    private readonly FileStream _file;
    private readonly PerfettoTraceWriter _writer;
    private readonly TimelineBuilder _builder = new();

    public RollingTrace(string path)
    {
        Path = path;
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 16);
        CommittedBytes = _file.Length;
        // Each opening of the file is its own packet sequence, so chunks of two openings never share interned names.
        _writer = new PerfettoTraceWriter(_file, leaveOpen: true, sequenceId: (uint)Random.Shared.Next(1, int.MaxValue));
    }

    public string Path { get; }

    public long CommittedBytes { get; private set; }

    public DateTime LastRecordUtc { get; private set; } = DateTime.UtcNow;

    public DateTime LastFlushUtc { get; private set; } = DateTime.UtcNow;

    public bool Exited { get; private set; }

    public bool HasBuffered => _builder.BufferedEvents > 0;

    public void Add(ReadOnlySpan<byte> record, bool isExit)
    {
        _builder.Add(record);
        LastRecordUtc = DateTime.UtcNow;
        Exited |= isExit;
        if (_builder.ShouldFlush)
            Flush();
    }

    /// <summary>Appends what is buffered as one chunk.</summary>
    public void Flush()
    {
        _builder.Flush(_writer);
        Commit();
    }

    /// <summary>Appends the last chunk; the file stays a whole trace.</summary>
    public void Complete()
    {
        _builder.Complete(_writer);
        Commit();
    }

    private void Commit()
    {
        _file.Flush(flushToDisk: false);
        CommittedBytes = _file.Length;
        LastFlushUtc = DateTime.UtcNow;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _file.Dispose();
    }
}
