namespace Scope.Silo.Storage;

/// <summary>Configuration section <c>Scope:Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Scope:Storage";

    /// <summary>Npgsql connection string; <c>scripts/pg.sh url</c> prints the one for the private dev instance.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Days of events kept; older daily partitions are dropped. 0 keeps them forever.</summary>
    public int RetentionDays { get; set; } = 7;

    /// <summary>Bound on batch payload bytes waiting to be written (MiB); beyond it batches are dropped and counted.</summary>
    public int BufferMb { get; set; } = 256;

    /// <summary>Most records written in one transaction.</summary>
    public int MaxBatchRecords { get; set; } = 50_000;

    /// <summary>Longest a queued batch waits for others to share its transaction.</summary>
    public int FlushIntervalMs { get; set; } = 200;

    /// <summary>
    /// False: batches still flow through the grains and the stream, but the persistence subscriber
    /// does not store them. For benchmarks of the path up to the grains only.
    /// </summary>
    public bool PersistEvents { get; set; } = true;

    internal long BufferBytes => (long)BufferMb * 1024 * 1024;
}
