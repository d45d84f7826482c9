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
internal sealed class PersistenceSubscriberGrain(
    PersistenceWriter writer, IPersistencePressure pressure, Microsoft.Extensions.Options.IOptions<StorageOptions> options)
    : Grain, IPersistenceSubscriberGrain, IAsyncObserver<EventBatch>, IStreamSubscriptionObserver
{
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<EventBatch>().ResumeAsync(this);

    public async Task OnNextAsync(EventBatch item, StreamSequenceToken? token = null)
    {
        try
        {
            if (options.Value.PersistEvents)
                await writer.EnqueueAsync(item, CancellationToken.None);
        }
        finally
        {
            pressure.InTransit(-item.Payload.Length);
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
