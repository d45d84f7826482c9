using Scope.Timeline;

namespace Scope.Cli.Trace;

/// <summary>
/// The trace `scope trace` writes: records go to a <see cref="TimelineBuilder"/> (the one the silo's
/// trace subscriber uses), which streams chunks to the file as its buffer fills, so a long run never
/// holds its whole trace in memory.
/// </summary>
internal sealed class TraceFile : IDisposable
{
    private readonly FileStream _file;
    private readonly ITraceWriter _writer;
    private readonly TimelineBuilder _builder = new();
    private bool _completed;

    private TraceFile(FileStream file, ITraceWriter writer)
    {
        _file = file;
        _writer = writer;
    }

    public static TraceFile Create(string path, bool json)
    {
        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        return new TraceFile(file, json ? new JsonTraceWriter(file, leaveOpen: true) : new PerfettoTraceWriter(file, leaveOpen: true));
    }

    /// <summary>Slices shortened to keep a thread's slices nested.</summary>
    public long Clipped => _builder.Clipped;

    /// <summary>Slices left out for the same reason.</summary>
    public long Dropped => _builder.Dropped;

    public void Add(ReadOnlySpan<byte> record)
    {
        _builder.Add(record);
        if (_builder.ShouldFlush)
            _builder.Flush(_writer);
    }

    public void Complete()
    {
        if (_completed)
            return;
        _completed = true;
        _builder.Complete(_writer);
        _writer.Dispose();
        _file.Flush();
    }

    public void Dispose()
    {
        _writer.Dispose();
        _file.Dispose();
    }
}
