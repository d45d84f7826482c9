using System.Collections.Concurrent;
using Scope.Grains;

namespace Scope.Silo.Persistence;

/// <summary>The silo-local holder of payloads whose batches travel the stream by reference.</summary>
internal sealed class BatchPayloads : IBatchPayloads
{
    private readonly ConcurrentDictionary<long, Held> _held = new();
    private long _next;

    public int Count => _held.Count;

    public long Put(ReadOnlyMemory<byte> payload)
    {
        var handle = Interlocked.Increment(ref _next);
        _held[handle] = new Held(payload, StreamNames.BatchSubscribers);
        return handle;
    }

    public bool TryTake(long handle, out ReadOnlyMemory<byte> payload)
    {
        payload = default;
        if (!_held.TryGetValue(handle, out var held))
            return false;
        payload = held.Payload;
        if (Interlocked.Decrement(ref held.Takers) == 0)
            _held.TryRemove(handle, out _);
        return true;
    }

    public void Release(long handle) => _held.TryRemove(handle, out _);

    private sealed class Held(ReadOnlyMemory<byte> payload, int takers)
    {
        public ReadOnlyMemory<byte> Payload { get; } = payload;

#pragma warning disable CA1051 // a field, for Interlocked
        public int Takers = takers;
#pragma warning restore CA1051
    }
}
