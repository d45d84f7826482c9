using System.Runtime.CompilerServices;

namespace Scope.Silo.Storage;

public sealed partial class ScopeReadStore
{
    /// <summary>
    /// The stored records a timeline is built from: one process's (when <paramref name="pid"/> is given)
    /// or a whole machine's, with from &lt;= time &lt; to, each collector run's in the order the run
    /// produced them, runs in the order they started. At most <paramref name="maxRecords"/>:
    /// <paramref name="cap"/> says whether there were more.
    /// </summary>
    public async IAsyncEnumerable<byte[]> ReadTraceRecordsAsync(
        string machineId, int? pid, ulong? startNs, DateTimeOffset? from, DateTimeOffset? to, int maxRecords,
        ReadCap cap, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(cap);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRecords);
        await using var cmd = _dataSource.CreateCommand();
        var where = new List<string> { "machine_id = @m" };
        cmd.Parameters.AddWithValue("m", machineId);
        if (pid is { } p)
        {
            where.Add("pid = @pid");
            cmd.Parameters.AddWithValue("pid", p);
        }
        if (startNs is { } s)
        {
            where.Add("start_ns = @sns");
            cmd.Parameters.AddWithValue("sns", unchecked((long)s));
        }
        const string order = "ORDER BY min(time) OVER (PARTITION BY collector_id, instance), collector_id, instance, event_index";
        await foreach (var record in ReadCappedRecordsAsync(cmd, where, from, to, order, maxRecords, cap, ct).ConfigureAwait(false))
            yield return record;
    }
}
