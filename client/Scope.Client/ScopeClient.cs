using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Security.Authentication;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Scope.Abstractions;
using Scope.Abstractions.Security;

namespace Scope.Client;

/// <summary>
/// A connection to a SCOPE cluster through its gateways, with typed calls for machines, tasks and
/// processes (grain calls: the same grains the REST API calls). Dispose it to disconnect.
/// </summary>
public sealed class ScopeClient : IAsyncDisposable
{
    private readonly IHost _host;
    private ClusterTrust? _trust;

    private ScopeClient(IHost host, ScopeClientOptions options)
    {
        _host = host;
        Options = options;
        Grains = host.Services.GetRequiredService<IClusterClient>();
    }

    /// <summary>The options it connected with.</summary>
    public ScopeClientOptions Options { get; }

    /// <summary>The grain factory, for calls this class does not wrap.</summary>
    public IClusterClient Grains { get; }

    /// <summary>Connects, or throws <see cref="ScopeClusterUnreachableException"/> naming the gateways.</summary>
    public static async Task<ScopeClient> ConnectAsync(ScopeClientOptions? options = null, CancellationToken ct = default)
    {
        options ??= ScopeClientOptions.FromEnvironment();
        var trust = LoadTrust(options);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering([.. options.Gateways]);
            if (trust is not null)
                client.UseTls(trust.Certificate, t =>
                {
                    t.LocalCertificate = trust.Certificate;
                    t.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
                    t.RemoteCertificateValidation = (certificate, _, errors) => trust.Accepts(certificate, errors);
                    t.SslProtocols = SslProtocols.Tls13;
                });
            client.Configure<ClusterOptions>(c =>
            {
                c.ClusterId = options.ClusterId;
                c.ServiceId = options.ServiceId;
            });
        });
        var host = builder.Build();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await host.StartAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            host.Dispose();
            trust?.Dispose();
            throw new ScopeClusterUnreachableException(
                $"cannot reach the SCOPE cluster at {string.Join(", ", options.Gateways)} (set {ScopeClientOptions.GatewaysVariable}=HOST:PORT): {e.Message}", e);
        }
        return new ScopeClient(host, options) { _trust = trust };
    }

    /// <summary>The client's TLS identity, when configured; a half-configured one is an <see cref="ArgumentException"/>.</summary>
    private static ClusterTrust? LoadTrust(ScopeClientOptions o)
    {
        if (o.TlsCaFile is null && o.TlsCertFile is null && o.TlsKeyFile is null)
            return null;
        return ClusterTrust.Load(o.TlsCaFile ?? "", o.TlsCertFile ?? "", o.TlsKeyFile ?? "",
            ScopeClientOptions.TlsCaVariable, ScopeClientOptions.TlsCertVariable, ScopeClientOptions.TlsKeyVariable);
    }

    /// <summary>Every machine whose host agent has registered, with what it last reported.</summary>
    public async Task<IReadOnlyList<HostInventory>> GetMachinesAsync()
    {
        var ids = await Grains.GetGrain<IMachineDirectoryGrain>(MachineDirectory.Key).List().ConfigureAwait(false);
        var inventories = await Task.WhenAll(ids.Select(id => Grains.GetGrain<IHostAgentGrain>(id).GetInventory())).ConfigureAwait(false);
        return inventories;
    }

    /// <summary>
    /// Starts a monitoring task: the machine's host agent checks the spec first, and a spec it cannot run
    /// is refused with <see cref="ScopeTaskRejectedException"/> (nothing starts).
    /// </summary>
    public async Task<TaskView> StartTaskAsync(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var known = await Grains.GetGrain<IMachineDirectoryGrain>(MachineDirectory.Key).List().ConfigureAwait(false);
        if (!known.Contains(spec.MachineId, StringComparer.Ordinal))
            throw new ScopeTaskRejectedException([new TaskSpecError("machine_id", $"no machine '{spec.MachineId}' has registered (see `scope machines`)")]);
        var refused = await Grains.GetGrain<IHostAgentGrain>(spec.MachineId).Validate(spec).ConfigureAwait(false);
        if (refused.Count > 0)
            throw new ScopeTaskRejectedException(refused);
        return await Grains.GetGrain<IMonitoringTaskGrain>(TaskIds.New()).Create(spec).ConfigureAwait(false);
    }

    /// <summary>Stops a task and waits for its collector to exit; null when there is no such task.</summary>
    public async Task<TaskView?> StopTaskAsync(string taskId)
    {
        if (!TaskIds.IsValid(taskId))
            throw new ArgumentException($"'{taskId}' is not a task id (32 lowercase hex digits)", nameof(taskId));
        var task = Grains.GetGrain<IMonitoringTaskGrain>(taskId);
        return await task.GetView().ConfigureAwait(false) is null ? null : await task.StopTask().ConfigureAwait(false);
    }

    /// <summary>A task; null when there is none with this id.</summary>
    public Task<TaskView?> GetTaskAsync(string taskId) =>
        TaskIds.IsValid(taskId)
            ? Grains.GetGrain<IMonitoringTaskGrain>(taskId).GetView()
            : throw new ArgumentException($"'{taskId}' is not a task id (32 lowercase hex digits)", nameof(taskId));

    /// <summary>Every task (with <paramref name="labels"/>: those whose labels hold every pair), oldest first.</summary>
    public async Task<IReadOnlyList<TaskView>> ListTasksAsync(IReadOnlyDictionary<string, string>? labels = null)
    {
        var entries = await Grains.GetGrain<ITaskDirectoryGrain>("all").List().ConfigureAwait(false);
        var views = await Task.WhenAll(entries.Select(e => Grains.GetGrain<IMonitoringTaskGrain>(e.TaskId).GetView())).ConfigureAwait(false);
        return [.. views.OfType<TaskView>().Where(v => labels is null || TaskLabels.Match(v.Spec.Labels, labels))];
    }

    /// <summary>A traced process (id as <see cref="ProcessKey"/> formats it): lifecycle and syscall totals.</summary>
    public Task<ProcessSnapshot> GetProcessAsync(string processId) => Process(processId).GetSnapshot();

    /// <summary>A process's CUDA ledger; null when it made no CUDA call.</summary>
    public Task<CudaSnapshot?> GetCudaAsync(string processId) => Process(processId).GetCudaSummary();

    /// <summary>A process's Python profile; null when it ran no sampled Python.</summary>
    public Task<PythonProfileInfo?> GetPythonProfileAsync(string processId, int top = 20) => Process(processId).GetPythonProfile(top, 5);

    private IProcessGrain Process(string processId) =>
        ProcessKey.TryParse(processId, out _, out _, out _)
            ? Grains.GetGrain<IProcessGrain>(processId)
            : throw new ArgumentException($"'{processId}' is not a process id (MACHINE.PID.START_NS)", nameof(processId));

    /// <summary>Disconnects.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _host.Dispose();
            _trust?.Dispose();
        }
    }
}
