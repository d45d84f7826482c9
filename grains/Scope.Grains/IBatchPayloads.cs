namespace Scope.Grains;

/// <summary>
/// Batch payloads held in this silo while their batch travels the stream by reference. Orleans
/// memory streams serialize and deep-copy every message, byte by byte, several times: for payloads
/// of hundreds of kilobytes that was most of the silo's CPU. The stream carries the batch's header
/// and a handle; the subscriber takes the payload from here. Bounded: what is held counts against
/// the storage bound (<see cref="IPersistencePressure"/>).
/// </summary>
public interface IBatchPayloads
{
    /// <summary>Holds the payload and returns its handle (never 0).</summary>
    long Put(ReadOnlyMemory<byte> payload);

    /// <summary>Takes a payload out; false when this silo does not hold it (the batch is then counted as dropped).</summary>
    bool TryTake(long handle, out ReadOnlyMemory<byte> payload);
}
