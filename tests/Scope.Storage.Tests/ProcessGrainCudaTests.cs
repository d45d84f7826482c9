using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Scope.Abstractions;
using Scope.Grains;
using Scope.Grains.Placement;
using Scope.Silo.Storage;

namespace Scope.Storage.Tests;

/// <summary>
/// A process grain's CUDA ledger in a real, in-process silo: how it joins what the store held with
/// what arrives while it reads it (each batch once), what it does when the store cannot be read, and
/// the metrics sample it has written at the exit. The store's replay is a stand-in here, so the test
/// decides when it answers; the real one is <see cref="ScopeReadStore.ReadGrainRecordsAsync"/>.
/// </summary>
[Collection(PostgresGroup.Name)]
public sealed class ProcessGrainCudaTests(ProcessGrainCudaTests.GrainSilo silo) : IClassFixture<ProcessGrainCudaTests.GrainSilo>
{
    /// <summary>Stored records per process key; each process's replay waits until the test opens it.</summary>
    public sealed class HeldStore : IProcessRecordStore
    {
        public sealed class Entry
        {
            public List<StoredRecord> Records { get; } = [];
            public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public bool Fail { get; set; }

            private int _reads;

            public int Reads => Volatile.Read(ref _reads);

            public void Read() => Interlocked.Increment(ref _reads);
        }

        private readonly ConcurrentDictionary<string, Entry> _entries = new();

        public Entry For(string key) => _entries.GetOrAdd(key, _ => new Entry());

        public async IAsyncEnumerable<StoredRecord> ReadRecords(string machineId, uint pid, ulong startNs, [EnumeratorCancellation] CancellationToken ct)
        {
            var entry = For(ProcessKey.Format(machineId, pid, startNs));
            entry.Read();
            await entry.Open.Task;
            if (entry.Fail)
                throw new NpgsqlException("the store is away");
            foreach (var r in entry.Records)
                yield return r;
        }
    }

    /// <summary>One silo with the grains, the "scope" memory streams and the CUDA metrics writer on a fresh database.</summary>
    public sealed class GrainSilo(PgServer server) : IAsyncLifetime
    {
        private IHost? _host;
        // Placement pins process grains to the silo that hosts their machine: this one hosts these.
        private readonly ConcurrentQueue<string> _machines = new(Enumerable.Range(0, 16).Select(i => Helpers.NewMachine($"m{i}")));

        /// <summary>A machine id of this silo's that no other test has used.</summary>
        public string NextMachine() => _machines.TryDequeue(out var m) ? m : throw new InvalidOperationException("the silo hosts no more machines");

        public HeldStore Store { get; } = new();

        public NpgsqlDataSource DataSource { get; private set; } = null!;

        public IGrainFactory Grains => _host!.Services.GetRequiredService<IGrainFactory>();

        public async Task InitializeAsync()
        {
            DataSource = server.DataSource(await server.CreateDatabaseAsync("grains"));
            await new Migrator(DataSource, NullLogger<Migrator>.Instance).MigrateAsync(default);
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IProcessRecordStore>(Store);
            builder.Services.AddSingleton(new CudaMetricsWriter(DataSource, NullLogger<CudaMetricsWriter>.Instance));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<CudaMetricsWriter>());
            builder.UseOrleans(s =>
            {
                s.UseLocalhostClustering(FreePort(), FreePort());
                s.AddScopePlacement(new ScopeSiloIdentity(ScopeRole.All, "grain-silo", _machines));
                s.AddMemoryStreams(StreamNames.Provider, b => b.ConfigurePartitioning(1));
                s.AddMemoryGrainStorage("PubSubStore");
            });
            _host = builder.Build();
            await _host.StartAsync();
        }

        public async Task DisposeAsync()
        {
            if (_host is not null)
            {
                await _host.StopAsync();
                _host.Dispose();
            }
        }

        private static int FreePort()
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }
    }

    private const ushort CudaMalloc = 1;
    private const long MiB = 1 << 20;
    private const uint Pid = 700, Tid = 701;
    private const ulong Start = Run.Boot + 5;
    private static readonly long Offset = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000) - (long)Run.Boot;

    private string NewProcess() => ProcessKey.Format(silo.NextMachine(), Pid, Start);

    private static byte[] Malloc(double ms, ulong ptr, long bytes) =>
        Records.CudaCall(Run.At(ms), Start, Pid, Tid, "train", CudaMalloc, 0, ptr, (ulong)bytes);

    /// <summary>What one batch of collector run ("c1", 9) says about the process, its records numbered from <paramref name="first"/>.</summary>
    private static ProcessDelta Delta(ulong first, params byte[][] records) => new()
    {
        Comm = "train",
        Records = records.SelectMany(r => r).ToArray(),
        UnixOffsetNs = Offset,
        CollectorId = "c1",
        Instance = 9,
        FirstEvent = first,
        EndEvent = first + (ulong)records.Length,
    };

    [Fact]
    public async Task Deltas_arriving_while_the_store_is_read_join_what_it_held_and_no_batch_counts_twice()
    {
        var key = NewProcess();
        var entry = silo.Store.For(key);
        // The first batch is in the store already (stored, then delivered again: the ingest retried it).
        var first = Malloc(1, 0x7000_0000, 1 * MiB);
        entry.Records.Add(new StoredRecord("c1", 9, 10, Offset, first));
        var grain = silo.Grains.GetGrain<IProcessGrain>(key);

        await grain.Apply(Delta(10, first));
        // Answered while the store is still being read: a long history does not hold up the ingest.
        await grain.Apply(Delta(11, Malloc(2, 0x7100_0000, 2 * MiB)));
        Assert.Equal(1, entry.Reads);
        entry.Open.SetResult();

        var s = await grain.GetCudaSummary();
        Assert.NotNull(s);
        Assert.True(s.HistoryComplete);
        Assert.Equal(2, s.Operations);
        var device = Assert.Single(s.Devices);
        Assert.Equal((3 * MiB, 3 * MiB, 2L), (device.CurrentBytes, device.PeakBytes, device.Allocations));

        // The ingest retries the second batch: applied already, so nothing changes.
        await grain.Apply(Delta(11, Malloc(2, 0x7100_0000, 2 * MiB)));
        Assert.Equal(2, (await grain.GetCudaSummary())!.Operations);

        await grain.Apply(Delta(12, Records.Exit(Run.At(3), Start, Pid, "train", 0, 0)));
        var leaks = await grain.GetCudaLeaks(null);
        Assert.NotNull(leaks);
        Assert.Equal([2 * MiB, 1 * MiB], leaks.Select(l => l.Allocation.Bytes));
        Assert.All(leaks, l => Assert.Equal("alive_at_exit", l.Reason));
        Assert.Equal(1, entry.Reads);

        // The sample taken at the exit; none before it, as all of this happened within one interval.
        var machine = key[..key.IndexOf('.', StringComparison.Ordinal)];
        await Helpers.EventuallyAsync(async () => await Helpers.ScalarAsync<long>(silo.DataSource,
            "SELECT count(*) FROM scope.cuda_metrics WHERE machine_id = @m AND final", ("m", machine)) == 1, "the final sample");
        var row = (await Helpers.RowsAsync(silo.DataSource,
            "SELECT device, current_bytes, peak_bytes, operations, live_allocations, time FROM scope.cuda_metrics WHERE machine_id = @m",
            ("m", machine))).Single();
        Assert.Equal(new object?[] { 0, 3 * MiB, 3 * MiB, 2L, 2L }, row[..5]);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(0).AddTicks((Offset + (long)Run.At(3)) / 100).UtcDateTime, row[5]);
    }

    [Fact]
    public async Task When_the_store_cannot_be_read_the_ledger_holds_what_arrives_and_says_its_history_is_missing()
    {
        var key = NewProcess();
        var entry = silo.Store.For(key);
        entry.Fail = true;
        entry.Open.SetResult();
        var grain = silo.Grains.GetGrain<IProcessGrain>(key);

        await grain.Apply(Delta(0, Malloc(1, 0x7000_0000, 4 * MiB)));
        var s = await grain.GetCudaSummary();
        Assert.NotNull(s);
        Assert.False(s.HistoryComplete);
        Assert.Equal(1, s.Operations);
        Assert.Equal(4 * MiB, Assert.Single(s.Devices).CurrentBytes);
        Assert.Equal(3, entry.Reads);
    }

    [Fact]
    public async Task A_process_without_cuda_records_has_no_ledger_and_its_exit_alone_reads_nothing()
    {
        var key = NewProcess();
        var entry = silo.Store.For(key);
        entry.Open.SetResult();
        var grain = silo.Grains.GetGrain<IProcessGrain>(key);

        await grain.Apply(Delta(0, Records.Exit(Run.At(1), Start, Pid, "plain", 0, 0)));
        Assert.Equal(0, entry.Reads);
        Assert.Null(await grain.GetCudaSummary());
        Assert.Null(await grain.GetCudaLeaks(null));
        Assert.Equal(1, entry.Reads);
    }
}
