using Microsoft.Extensions.Options;
using Scope.Abstractions;

namespace Scope.Silo.Traces;

/// <summary>
/// Where the rolling traces live, and how much of each a reader may serve: the subscriber says where
/// its last whole chunk ends for the files it is writing; a file nobody writes is whole.
/// </summary>
internal sealed class TraceFiles(IOptions<TraceOptions> options)
{
    private readonly Dictionary<string, long> _committed = new(StringComparer.Ordinal);

    public string Directory { get; } = Path.GetFullPath(options.Value.Directory);

    /// <summary>The file of a process id (its characters are letters, digits, '.', '_' and '-': safe as a name).</summary>
    public string PathOf(string processId) =>
        ProcessKey.TryParse(processId, out _, out _, out _) && !processId.Contains('/', StringComparison.Ordinal)
            ? Path.Combine(Directory, processId + ".pftrace")
            : throw new ArgumentException($"not a process id: {processId}", nameof(processId));

    public void SetCommitted(string processId, long bytes)
    {
        lock (_committed)
            _committed[processId] = bytes;
    }

    public void Closed(string processId)
    {
        lock (_committed)
            _committed.Remove(processId);
    }

    /// <summary>The bytes of a process's file a reader may serve; null when there is no file.</summary>
    public long? Servable(string processId)
    {
        var path = PathOf(processId);
        lock (_committed)
        {
            if (_committed.TryGetValue(processId, out var n))
                return n;
        }
        return File.Exists(path) ? new FileInfo(path).Length : null;
    }
}
