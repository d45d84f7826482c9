using Orleans.Streams;
using Orleans.Streams.Core;
using Scope.Abstractions;
using Scope.Grains;
using Scope.Silo.Storage;

namespace Scope.Silo.Persistence;

public interface IPersistenceSubscriberGrain : IGrainWithStringKey;

/// <summary>
/// The persistence subscriber: every machine's batch stream is implicitly subscribed, and each batch
/// goes, in order, to the PostgreSQL writer, which buffers within its bound and counts what it drops.
/// </summary>
[ImplicitStreamSubscription(StreamNames.Batches)]
internal sealed partial class PersistenceSubscriberGrain(
    PersistenceWriter writer, IPersistencePressure pressure, IBatchPayloads payloads,
    Microsoft.Extensions.Options.IOptions<StorageOptions> options, ILogger<PersistenceSubscriberGrain> log)
    : Grain, IPersistenceSubscriberGrain, IAsyncObserver<EventBatch>, IStreamSubscriptionObserver
{
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<EventBatch>().ResumeAsync(this);

    public async Task OnNextAsync(EventBatch item, StreamSequenceToken? token = null)
    {
        // Only a batch published by handle was counted in transit (by an all-in-one silo's machine grain).
        var length = item.PayloadHandle != 0 ? item.PayloadLength : 0;
        try
        {
            if (item.PayloadHandle != 0)
            {
                if (!payloads.TryTake(item.PayloadHandle, out var payload))
                {
                    // Published on another silo, or held by one that restarted: this silo cannot
                    // store it, so it is counted as dropped, never lost silently.
                    LogPayloadMissing(item.CollectorId, item.Sequence, item.RecordCount);
                    writer.CountAsDropped(item);
                    return;
                }
                item = item with { Payload = payload, PayloadHandle = 0 };
            }
            if (options.Value.PersistEvents)
                await writer.EnqueueAsync(item, CancellationToken.None);
        }
        finally
        {
            pressure.InTransit(-length);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Collector {Collector}: the payload of batch {Sequence} is not held here; its {Records} records are counted as dropped")]
    private partial void LogPayloadMissing(string collector, ulong sequence, int records);

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
