using Orleans.Streams;
using Scope.Grains.Placement;

namespace Scope.Silo.Hosting;

/// <summary>
/// Gives the batch stream's queues to core and all-in-one silos only, spread over them in address
/// order. Orleans' default balancer would let an edge pull them too: when that edge died, the batches
/// it had pulled for every other host would die with it.
/// </summary>
internal sealed partial class CoreQueueBalancer : QueueBalancerBase, IDisposable
{
    private readonly SiloIdentities _silos;
    private readonly ILocalSiloDetails _local;
    private readonly ILogger<CoreQueueBalancer> _log;
    private List<QueueId> _queues = [];
    private HashSet<SiloAddress> _active = [];
    private string _lastShare = "";
    private Timer? _recheck;

    public CoreQueueBalancer(IServiceProvider services, SiloIdentities silos, ILocalSiloDetails local, ILogger<CoreQueueBalancer> log)
        : base(services, log)
    {
        _silos = silos;
        _local = local;
        _log = log;
    }

    public override Task Initialize(IStreamQueueMapper queueMapper)
    {
        ArgumentNullException.ThrowIfNull(queueMapper);
        _queues = [.. queueMapper.GetAllQueues().OrderBy(q => q.ToString(), StringComparer.Ordinal)];
        // Another silo's role arrives with its metadata, shortly after it becomes active: look again
        // until the share settles instead of waiting for the next membership change.
        _recheck = new Timer(_ => Recheck(), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        return base.Initialize(queueMapper);
    }

    public override async Task Shutdown()
    {
        if (_recheck is not null)
            await _recheck.DisposeAsync();
        await base.Shutdown();
    }

    public void Dispose() => _recheck?.Dispose();

    public override IEnumerable<QueueId> GetMyQueues()
    {
        var share = Share();
        Remember(share);
        return share;
    }

    protected override void OnClusterMembershipChange(HashSet<SiloAddress> activeSilos)
    {
        Volatile.Write(ref _active, activeSilos);
        _ = NotifyListeners();
    }

    private void Recheck()
    {
        if (Describe(Share()) != Volatile.Read(ref _lastShare))
            _ = NotifyListeners();
    }

    private List<QueueId> Share()
    {
        if (!_silos.Local.Role.HostsClusterWide())
            return [];
        var me = _local.SiloAddress;
        var cores = Volatile.Read(ref _active).Append(me).Distinct()
            .Where(s => _silos.Of(s)?.Role.HostsClusterWide() == true)
            .OrderBy(s => s.ToParsableString(), StringComparer.Ordinal)
            .ToList();
        var index = cores.IndexOf(me);
        return [.. _queues.Where((_, i) => i % cores.Count == index)];
    }

    private void Remember(List<QueueId> share)
    {
        var text = Describe(share);
        if (text != Interlocked.Exchange(ref _lastShare, text))
            LogShare(text.Length == 0 ? "none" : text);
    }

    private static string Describe(List<QueueId> share) => string.Join(",", share);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch stream queues pulled by this silo: {Queues}")]
    private partial void LogShare(string queues);
}
