using System.Collections.Concurrent;
using Scope.Grains;

namespace Scope.Silo.Persistence;

/// <summary>The silo-local holder of payloads whose batches travel the stream by reference.</summary>
internal sealed class BatchPayloads : IBatchPayloads
{
    private readonly ConcurrentDictionary<long, ReadOnlyMemory<byte>> _held = new();
    private long _next;

    public int Count => _held.Count;

    public long Put(ReadOnlyMemory<byte> payload)
    {
        var handle = Interlocked.Increment(ref _next);
        _held[handle] = payload;
        return handle;
    }

    public bool TryTake(long handle, out ReadOnlyMemory<byte> payload) => _held.TryRemove(handle, out payload);
}
