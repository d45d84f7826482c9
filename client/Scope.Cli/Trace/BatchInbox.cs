using NetMQ;
using NetMQ.Sockets;
using Scope.Events;

namespace Scope.Cli.Trace;

/// <summary>
/// The CLI's end of the collector's ZeroMQ push: a PULL socket on a loopback port, read by one thread
/// (NetMQ sockets belong to the thread that made them) that authenticates and parses each batch as
/// the silo does (<see cref="BatchReader"/>) and hands its records to the pipeline, in order.
/// </summary>
internal sealed class BatchInbox : IDisposable
{
    private readonly PullSocket _socket = new();
    private readonly Thread _reader;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private BatchAuthenticator? _auth;
    private Action<BatchHeader, ReadOnlyMemory<byte>>? _onBatch;
    private volatile bool _stopping;
    private long _lastBatchTicks = Environment.TickCount64;

    public BatchInbox()
    {
        // Never lose a batch at the end: the collector lingers until it is taken.
        _socket.Options.ReceiveHighWatermark = 1000;
        Port = _socket.BindRandomPort("tcp://127.0.0.1");
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "scope-trace-inbox" };
    }

    public int Port { get; }

    public string Endpoint => $"tcp://127.0.0.1:{Port}";

    /// <summary>Batches whose MAC or framing was wrong (another local process pushing to the port).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    private long _rejected;

    /// <summary>A batch flagged final came: the collector has sent everything.</summary>
    public bool FinalSeen { get; private set; }

    /// <summary>Milliseconds since the last batch.</summary>
    public long IdleMs => Environment.TickCount64 - Interlocked.Read(ref _lastBatchTicks);

    public Task Done => _done.Task;

    public void Start(byte[] secret, Action<BatchHeader, ReadOnlyMemory<byte>> onBatch)
    {
        _auth = new BatchAuthenticator(secret);
        _onBatch = onBatch;
        _reader.Start();
    }

    /// <summary>Stops reading once nothing is waiting.</summary>
    public void Stop() => _stopping = true;

    private void ReadLoop()
    {
        try
        {
            while (true)
            {
                if (!_socket.TryReceiveFrameBytes(TimeSpan.FromMilliseconds(100), out var frame))
                {
                    if (_stopping)
                        break;
                    continue;
                }
                Interlocked.Exchange(ref _lastBatchTicks, Environment.TickCount64);
                if (BatchReader.TryParse(frame, _auth!, out var header, out var payload) != BatchRejectReason.None)
                {
                    Interlocked.Increment(ref _rejected);
                    continue;
                }
                _onBatch!(header, frame.AsMemory(header.HeaderSize, payload.Length));
                if (header.Final)
                    FinalSeen = true;
            }
            _done.TrySetResult();
        }
        catch (Exception e)
        {
            _done.TrySetException(e);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        if (_reader.IsAlive)
            _reader.Join(TimeSpan.FromSeconds(2));
        _socket.Dispose();
        _auth?.Dispose();
    }
}
