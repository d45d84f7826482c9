using System.Diagnostics.Metrics;

namespace Scope.Silo.Ingest;

/// <summary>The ingest's own counters, as OpenTelemetry metrics on the "Scope.Silo" meter.</summary>
public sealed class IngestMetrics : IDisposable
{
    public const string MeterName = "Scope.Silo";

    private readonly Meter _meter;
    private readonly long[] _rejected = new long[RejectReasons.All.Length];
    private long _batches, _events, _unknownRecords;

    public IngestMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _meter.CreateObservableCounter("scope.ingest.batches", () => Interlocked.Read(ref _batches), description: "Batches accepted");
        _meter.CreateObservableCounter("scope.ingest.events", () => Interlocked.Read(ref _events), description: "Records accepted");
        _meter.CreateObservableCounter("scope.ingest.rejected", () =>
            RejectReasons.All.Select(r => new Measurement<long>(Interlocked.Read(ref _rejected[(int)r]), new KeyValuePair<string, object?>("reason", r.Name()))),
            description: "Frames refused, by reason");
        _meter.CreateObservableGauge("scope.ingest.queue_depth", () => QueueDepth(), description: "Batches waiting for machine grains");
    }

    public Func<int> QueueDepth { get; set; } = () => 0;

    public long Batches => Interlocked.Read(ref _batches);
    public long Events => Interlocked.Read(ref _events);
    public long RejectedTotal => _rejected.Sum(r => Interlocked.Read(ref r));
    public IReadOnlyDictionary<string, long> RejectedByReason =>
        RejectReasons.All.ToDictionary(r => r.Name(), r => Interlocked.Read(ref _rejected[(int)r]));

    public void Accepted(int records)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _events, records);
    }

    public void Rejected(RejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);

    public void UnknownRecords(int n) => Interlocked.Add(ref _unknownRecords, n);

    public void Dispose() => _meter.Dispose();
}
