using Microsoft.Extensions.Options;
using Scope.Grains;
using Scope.Silo.Storage;

namespace Scope.Silo.Persistence;

/// <summary>
/// Room on the way to PostgreSQL: the writer's buffer plus what is in the stream towards it, against
/// the writer's bound (Scope:Storage:BufferMb). The machine grains wait on it before publishing.
/// </summary>
internal sealed class PersistencePressure(PersistenceWriter writer, IOptions<StorageOptions> options) : IPersistencePressure
{
    private long _inTransit;

    private long Bound => (long)options.Value.BufferMb << 20;

    public long InTransitBytes => Interlocked.Read(ref _inTransit);

    public async ValueTask<bool> WaitForRoomAsync(long bytes, TimeSpan max, CancellationToken ct)
    {
        var deadline = Environment.TickCount64 + (long)max.TotalMilliseconds;
        // A batch larger than the whole bound still goes, alone, when the way is clear.
        var need = Math.Min(bytes, Bound);
        while (writer.QueueBytes + InTransitBytes + need > Bound)
        {
            if (Environment.TickCount64 >= deadline)
                return false;
            await Task.Delay(10, ct);
        }
        return true;
    }

    public void InTransit(long delta) => Interlocked.Add(ref _inTransit, delta);
}
