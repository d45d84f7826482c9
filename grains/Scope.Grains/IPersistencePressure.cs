namespace Scope.Grains;

/// <summary>
/// How full the path to storage is. A machine grain asks for room before it publishes a batch, so
/// that a slow or absent store slows the ingest (and the collectors queue, then drop and count),
/// instead of batches piling up in stream queues without bound.
/// </summary>
public interface IPersistencePressure
{
    /// <summary>Waits up to <paramref name="max"/> for room for <paramref name="bytes"/>; false when there was none (publish anyway: the store will drop and count).</summary>
    ValueTask<bool> WaitForRoomAsync(long bytes, TimeSpan max, CancellationToken ct);

    /// <summary>Bytes published to the stream and not yet taken by the store (negative: taken).</summary>
    void InTransit(long delta);
}
