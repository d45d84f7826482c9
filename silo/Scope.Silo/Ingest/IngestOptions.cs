namespace Scope.Silo.Ingest;

/// <summary>Configuration section Scope:Ingest (docs/configuration.md).</summary>
public sealed class IngestOptions
{
    /// <summary>Where collectors PUSH their batches. TCP on loopback: NetMQ cannot speak libzmq's ipc://.</summary>
    public string Endpoint { get; set; } = "tcp://127.0.0.1:5557";

    /// <summary>Batches waiting for a machine's grain; when full, ingest stops reading and collectors queue (then drop, counted).</summary>
    public int QueueBatches { get; set; } = 32;

    /// <summary>Frames larger than this are rejected unread.</summary>
    public int MaxFrameBytes { get; set; } = 16 << 20;

    /// <summary>
    /// Senders this silo did not start but accepts, each under a secret read from a file: load
    /// generators for tests and benchmarks (scope-loadgen). Collectors the silo starts need no entry.
    /// </summary>
    public List<ExternalCollector> Collectors { get; set; } = [];
}

public sealed class ExternalCollector
{
    public string Id { get; set; } = "";
    public string MachineId { get; set; } = "";
    /// <summary>The secret in hex (16 to 64 bytes), in a file only root can read.</summary>
    public string SecretFile { get; set; } = "";
}
