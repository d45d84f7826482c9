using Orleans.Streams;
using Orleans.Streams.Core;
using Scope.Abstractions;
using Scope.Grains;
using Scope.Silo.Storage;

namespace Scope.Silo.Persistence;

public interface ICudaMetricsSubscriberGrain : IGrainWithStringKey;

/// <summary>
/// Every machine's CUDA metrics stream is implicitly subscribed; each sample goes to the metrics
/// writer, which buffers within its bound and counts what it drops.
/// </summary>
[ImplicitStreamSubscription(StreamNames.CudaMetrics)]
internal sealed class CudaMetricsSubscriberGrain(CudaMetricsWriter writer, Microsoft.Extensions.Options.IOptions<StorageOptions> options)
    : Grain, ICudaMetricsSubscriberGrain, IAsyncObserver<CudaMetricsSample>, IStreamSubscriptionObserver
{
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<CudaMetricsSample>().ResumeAsync(this);

    public Task OnNextAsync(CudaMetricsSample item, StreamSequenceToken? token = null)
    {
        if (options.Value.PersistEvents)
            writer.Enqueue(item);
        return Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
