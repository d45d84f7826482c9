namespace Scope.Silo.Ingest;

/// <summary>Configuration section Scope:Ingest (docs/configuration.md).</summary>
public sealed class IngestOptions
{
    /// <summary>Where collectors PUSH their batches. TCP on loopback: NetMQ cannot speak libzmq's ipc://.</summary>
    public string Endpoint { get; set; } = "tcp://127.0.0.1:5557";

    /// <summary>Batches waiting for a machine's grain; when full, ingest stops reading and collectors queue (then drop, counted).</summary>
    public int QueueBatches { get; set; } = 256;

    /// <summary>Frames larger than this are rejected unread.</summary>
    public int MaxFrameBytes { get; set; } = 16 << 20;
}
