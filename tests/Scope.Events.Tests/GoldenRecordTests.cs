using System.Text.Json.Nodes;

namespace Scope.Events.Tests;

/// <summary>Every golden record decodes and renders to exactly the JSON object the collector must print.</summary>
public sealed class GoldenRecordTests
{
    public static TheoryData<string> Names => new(Golden.RecordNames);

    [Fact]
    public void The_vectors_are_there()
    {
        Assert.Contains("syscall_openat", Golden.RecordNames);
        Assert.True(Golden.RecordNames.Count() >= 13);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Renders_the_golden_json(string name)
    {
        byte[] bytes = Golden.RecordBytes(name);
        JsonNode expected = Golden.RecordJson(name);

        var records = BatchReader.EnumerateRecords(bytes);
        Assert.True(records.MoveNext());
        Record record = records.Current;
        Assert.Equal(bytes.Length, record.Bytes.Length);
        Assert.Equal(bytes.Length, record.Header.Size);
        string json = EventJson.ToJson(record);
        Assert.False(records.MoveNext());
        Assert.Equal(BatchRejectReason.None, records.Error);
        Assert.Equal(0, records.UnknownRecords);

        JsonAssert.Same(expected, JsonNode.Parse(json));
    }

    [Fact]
    public void Openat_fields()
    {
        Record r = Single("syscall_openat", out _);
        Assert.Equal(RecordType.SyscallData, r.Type);
        ref readonly SyscallData d = ref r.As<SyscallData>();
        Assert.Equal(257u, d.Sc.Nr);
        Assert.Equal(3, d.Sc.Ret);
        Assert.Equal(unchecked((ulong)-100L), d.Sc.Args[0]);
        Assert.Equal(Wire.DataPath, d.DataKind);
        Assert.Equal("/etc/hostname"u8.ToArray(), d.DataSpan.ToArray());
        Assert.Equal("cat", r.Header.Comm.AsString());
        Assert.Equal(11u, r.Header.Tid);

        // A SyscallData record reads as a Syscall too: the syscall is its prefix.
        Assert.Equal(257u, r.As<Syscall>().Nr);

        JsonNode json = JsonNode.Parse(EventJson.ToJson(r))!;
        Assert.Equal(3, (int)json["args"]!["fd"]!);
        Assert.Equal("/etc/hostname", (string)json["args"]!["path"]!);
        Assert.Equal("0x80000", (string)json["args"]!["flags"]!);
    }

    [Fact]
    public void Openat_failure_has_an_error_name_and_no_fd()
    {
        JsonNode json = JsonNode.Parse(EventJson.ToJson(Single("syscall_openat_enoent", out _)))!;
        Assert.Equal("ENOENT", (string)json["error"]!);
        Assert.Null(json["args"]!["fd"]);
        Assert.Equal("0644", (string)json["args"]!["mode"]!);
    }

    [Fact]
    public void Exit_fields()
    {
        Record r = Single("process_exit", out _);
        ref readonly ProcessExit e = ref r.As<ProcessExit>();
        Assert.Equal(7, e.ExitCode);
        Assert.Equal(0, e.Signal);
        Assert.False(e.CoreDumped);
        Assert.Equal(1u, e.Info.Ppid);
        Assert.Equal(7ul, e.Info.CgroupId);
        Assert.Equal(7, (int)JsonNode.Parse(EventJson.ToJson(r))!["exit_code"]!);

        ref readonly ProcessExit killed = ref Single("process_exit_signal", out _).As<ProcessExit>();
        Assert.Equal(9, killed.Signal);
        Assert.True(killed.CoreDumped);
    }

    [Fact]
    public void Exec_fields()
    {
        Record r = Single("process_exec_escapes", out _);
        ref readonly ProcessExec e = ref r.As<ProcessExec>();
        Assert.Equal("/usr/bin/python3", e.Filename.AsString());
        Assert.True(e.ArgvTruncated);
        Assert.False(e.FilenameTruncated);
        Assert.Equal(78u, e.OldPid);
        Assert.Equal("py\"x", r.Header.Comm.AsString());
        JsonNode json = JsonNode.Parse(EventJson.ToJson(r))!;
        Assert.Equal("print(\"h\\i\")\n\uFFFD", (string)json["argv"]![2]!);
    }

    [Fact]
    public void Counts_fields()
    {
        Record r = Single("syscall_counts", out _);
        ref readonly SyscallCounts c = ref r.As<SyscallCounts>();
        Assert.Equal(3, c.N);
        Assert.True(c.Final);
        Assert.False(c.EnterOnly);
        Assert.Equal(3, c.Valid.Length);
        Assert.Equal(1u, c.Valid[1].Nr);
        Assert.Equal(137ul, c.Valid[1].Count);
        Assert.Equal(0ul, c.Entries[31].Count);
        JsonNode json = JsonNode.Parse(EventJson.ToJson(r))!;
        Assert.Equal(137, (int)json["counts"]!["write"]!["count"]!);
    }

    [Fact]
    public void Hist_quantiles_are_the_golden_ones()
    {
        Record r = Single("syscall_hist", out JsonNode expected);
        ref readonly SyscallHist h = ref r.As<SyscallHist>();
        Assert.Equal(1u, h.Nr);
        Assert.True(h.Final);
        Assert.Equal((ulong)expected["p50_ns"]!, Histogram.Quantile(h.Buckets.AsSpan(), 0.5));
        Assert.Equal((ulong)expected["p99_ns"]!, Histogram.Quantile(h.Buckets.AsSpan(), 0.99));
        Assert.Equal(322ul, Histogram.Quantile(h.Buckets.AsSpan(), 0.5));
        Assert.Equal(670ul, Histogram.Quantile(h.Buckets.AsSpan(), 0.99));
    }

    [Fact]
    public void Stack_and_symbol_fields()
    {
        ref readonly CudaStack st = ref Single("cuda_stack", out _).As<CudaStack>();
        Assert.Equal((ushort)CudaApi.CuMemAlloc, st.Api);
        Assert.Equal([0x55555555a1c3ul, 0x55555555a2f0, 0x7f1234567d90], st.Valid.ToArray());
        Assert.False(st.Truncated);

        ref readonly Symbol sym = ref Single("symbol", out _).As<Symbol>();
        Assert.Equal((0x55555555a1c3ul, 51ul, "train", "leak_three(Pool&, unsigned long)"), (sym.Addr, sym.Offset, sym.Module.AsString(), sym.Name.AsString()));
        Assert.False(sym.Unknown);
        ref readonly Symbol unknown = ref Single("symbol_unknown", out _).As<Symbol>();
        Assert.True(unknown.Unknown);
        Assert.Equal("", unknown.Name.AsString());

        ref readonly CudaCall call = ref Single("cu_mem_alloc_stack", out _).As<CudaCall>();
        Assert.Equal(Wire.CudaHasStack, call.Flags & Wire.CudaHasStack);
        Assert.Equal(st.Hdr.TsNs, call.Hdr.TsNs);
        Assert.Equal(st.Hdr.Tid, call.Hdr.Tid);
    }

    [Fact]
    public void Json_writes_into_a_caller_writer()
    {
        byte[] bytes = Golden.RecordBytes("syscall_read");
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, EventJson.WriterOptions))
        {
            writer.WriteStartArray();
            foreach (Record r in BatchReader.EnumerateRecords(bytes))
            {
                EventJson.Write(writer, r);
            }

            writer.WriteEndArray();
        }

        JsonAssert.Same(new JsonArray(Golden.RecordJson("syscall_read")), JsonNode.Parse(buffer.WrittenSpan));
    }

    [Fact]
    public void A_default_record_is_refused()
    {
        Assert.Throws<ArgumentException>(() => EventJson.ToJson(default));
    }

    // The one record of a golden vector (the Record points into a fresh array read from the file).
    private static Record Single(string name, out JsonNode expected)
    {
        expected = Golden.RecordJson(name);
        var records = BatchReader.EnumerateRecords(Golden.RecordBytes(name));
        Assert.True(records.MoveNext());
        return records.Current;
    }
}
