namespace Scope.Grains;

/// <summary>
/// Batch payloads held in this silo while their batch travels the stream by reference. Orleans
/// memory streams serialize and deep-copy every message, byte by byte, several times: for payloads
/// of hundreds of kilobytes that was most of the silo's CPU. The stream carries the batch's header
/// and a handle; each of the stream's <see cref="StreamNames.BatchSubscribers"/> subscribers takes the
/// payload from here once, and the last one's take releases it. Bounded: what is held counts against
/// the storage bound (<see cref="IPersistencePressure"/>).
/// </summary>
public interface IBatchPayloads
{
    /// <summary>Holds the payload for every subscriber and returns its handle (never 0).</summary>
    long Put(ReadOnlyMemory<byte> payload);

    /// <summary>Takes a payload, once per subscriber; false when this silo does not hold it (the batch is then counted as dropped).</summary>
    bool TryTake(long handle, out ReadOnlyMemory<byte> payload);

    /// <summary>Lets go of a payload whatever the subscribers took (its batch was never published).</summary>
    void Release(long handle);
}
