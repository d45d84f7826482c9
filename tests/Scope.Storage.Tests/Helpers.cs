using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Scope.Silo.Storage;

namespace Scope.Storage.Tests;

internal static class Helpers
{
    public static PartitionMaintainer Maintainer(NpgsqlDataSource ds, int retentionDays = 7) =>
        new(ds, Options.Create(new StorageOptions { RetentionDays = retentionDays }), NullLogger<PartitionMaintainer>.Instance);

    public static PersistenceWriter Writer(NpgsqlDataSource ds, int bufferMb = 256, int maxBatchRecords = 50_000, int flushIntervalMs = 20) =>
        new(ds, Options.Create(new StorageOptions { BufferMb = bufferMb, MaxBatchRecords = maxBatchRecords, FlushIntervalMs = flushIntervalMs }),
            NullLogger<PersistenceWriter>.Instance);

    public static async Task<T> ScalarAsync<T>(NpgsqlDataSource ds, string sql, params (string Name, object Value)[] args)
    {
        await using var cmd = ds.CreateCommand(sql);
        foreach (var (name, value) in args)
            cmd.Parameters.AddWithValue(name, value);
        var result = await cmd.ExecuteScalarAsync();
        return (T)result!;
    }

    public static async Task<List<object?[]>> RowsAsync(NpgsqlDataSource ds, string sql, params (string Name, object Value)[] args)
    {
        await using var cmd = ds.CreateCommand(sql);
        foreach (var (name, value) in args)
            cmd.Parameters.AddWithValue(name, value);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (int i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    public static async Task ExecAsync(NpgsqlDataSource ds, string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails the test after <paramref name="seconds"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, double seconds = 20)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            if (sw.Elapsed.TotalSeconds > seconds)
                Assert.Fail($"timed out after {seconds} s waiting for {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>Runs the writer until everything enqueued so far is committed.</summary>
    public static async Task DrainAsync(PersistenceWriter writer, double seconds = 20) =>
        await EventuallyAsync(() => Task.FromResult(writer.QueueBytes == 0), "the writer to drain", seconds);

    public static string NewMachine(string hint) => $"{hint}-{Guid.NewGuid():N}"[..24];
}
