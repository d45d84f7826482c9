using System.Buffers.Binary;
using System.Text.Json.Nodes;

namespace Scope.Events.Tests;

/// <summary>
/// python_sample and python_code: their fields as the golden vectors hold them, and the flags and caps
/// the vectors do not exercise, rendered as decode_json.c prints them.
/// </summary>
public sealed class PythonRecordTests
{
    // Offsets in struct scope_python_sample / scope_python_code (bpf/scope_events.h).
    private const int SampleN = 48, SampleFlags = 50, SampleVersion = 52, SampleNNative = 54, SampleNative = 1080;
    private const int CodeFlags = 60, CodeQualname = 64, CodeFilename = 192;

    [Fact]
    public void Sample_fields()
    {
        Record r = Decode(Golden.RecordBytes("python_sample"));
        Assert.Equal(RecordType.PythonSample, r.Type);
        ref readonly PythonSample s = ref r.As<PythonSample>();
        Assert.Equal(0x030C, s.Version);
        Assert.Equal((3, 12), (s.VersionMajor, s.VersionMinor));
        Assert.False(s.Truncated);
        Assert.False(s.NoThreadState);
        Assert.Equal(
            [(0x7F00AA001000ul, 23, 6u), (0x7F00AA002000ul, 59, 18u), (0x7F00AA003000ul, -1, 0u)],
            s.ValidFrames.ToArray().Select(f => (f.Code, f.Instr, f.Line)));
        Assert.Equal(0ul, s.Frames[3].Code);
        Assert.Equal([0x5E9B4Cul, 0x4FB383], s.ValidNative.ToArray());
        Assert.Equal(0ul, s.Native[2]);
        Assert.Equal(("python3.12", 77u, 78u), (r.Header.Comm.AsString(), r.Header.Pid, r.Header.Tid));
    }

    [Fact]
    public void Sample_without_a_thread_state_has_empty_stacks()
    {
        ref readonly PythonSample s = ref Decode(Golden.RecordBytes("python_sample_no_thread")).As<PythonSample>();
        Assert.True(s.NoThreadState);
        Assert.False(s.Truncated);
        Assert.Equal((3, 11), (s.VersionMajor, s.VersionMinor));
        Assert.True(s.ValidFrames.IsEmpty);
        Assert.True(s.ValidNative.IsEmpty);
    }

    [Fact]
    public void Code_fields()
    {
        Record r = Decode(Golden.RecordBytes("python_code"));
        Assert.Equal(RecordType.PythonCode, r.Type);
        ref readonly PythonCode c = ref r.As<PythonCode>();
        Assert.Equal(0x7F00AA001000ul, c.Code);
        Assert.Equal(3u, c.FirstLine);
        Assert.Equal("Worker.hot", c.Qualname.AsString());
        Assert.Equal("/srv/app/hotwarm.py", c.Filename.AsString());
        Assert.False(c.Unreadable);
        Assert.False(c.NameTruncated);

        // The sample's innermost frame is the code object this record names.
        ref readonly PythonSample s = ref Decode(Golden.RecordBytes("python_sample")).As<PythonSample>();
        Assert.Equal(c.Code, s.ValidFrames[0].Code);
        Assert.Equal((c.Hdr.Pid, c.Hdr.StartNs), (s.Hdr.Pid, s.Hdr.StartNs));
    }

    [Fact]
    public void Sample_counts_past_the_arrays_are_capped_and_flags_add_keys()
    {
        byte[] b = Golden.RecordBytes("python_sample");
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(SampleN), 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(SampleNNative), 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(SampleFlags), Wire.PyTruncated | Wire.PyNoThreadState);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(SampleNative + (31 * 8)), 0xFFFF_FFFF_FFFF_FFFF);
        JsonNode json = Render(b);

        JsonArray stack = json["stack"]!.AsArray();
        Assert.Equal(Wire.PyMaxFrames, stack.Count);
        Assert.Equal("""{"code":"0x0","instr":0,"line":0}""", stack[63]!.ToJsonString());
        JsonArray native = json["native"]!.AsArray();
        Assert.Equal(Wire.StackMax, native.Count);
        Assert.Equal("0xffffffffffffffff", (string)native[31]!);
        Assert.True((bool)json["truncated"]!);
        Assert.True((bool)json["no_thread_state"]!);
        // The flags come last, truncated before no_thread_state, as decode_json.c writes them.
        Assert.Equal(["native", "truncated", "no_thread_state"], json.AsObject().Select(p => p.Key).TakeLast(3));
    }

    [Theory]
    [InlineData(0x0000, "0.0")]
    [InlineData(0x030E, "3.14")]
    [InlineData(0xFFFF, "255.255")]
    public void Version_is_major_dot_minor_in_decimal(int version, string text)
    {
        byte[] b = Golden.RecordBytes("python_sample");
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(SampleVersion), (ushort)version);
        Assert.Equal(text, (string)Render(b)["version"]!);
    }

    [Fact]
    public void Code_flags_add_keys_and_names_stop_at_the_buffer_end()
    {
        byte[] b = Golden.RecordBytes("python_code");
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(CodeFlags), Wire.PyCodeUnreadable);
        JsonNode json = Render(b);
        Assert.True((bool)json["unreadable"]!);
        Assert.Null(json["name_truncated"]);

        // A name that fills its buffer has no NUL: it ends there, and the next field is not read into it.
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(CodeFlags), Wire.SymbolTruncated);
        b.AsSpan(CodeQualname, 128).Fill((byte)'q');
        b[CodeFilename] = 0xFF; // invalid UTF-8: one U+FFFD, as jbuf.c writes it
        json = Render(b);
        Assert.Equal(new string('q', 128), (string)json["function"]!);
        Assert.Equal("\uFFFDsrv/app/hotwarm.py", (string)json["file"]!);
        Assert.True((bool)json["name_truncated"]!);
        Assert.Null(json["unreadable"]);
        Assert.Equal(["file", "name_truncated"], json.AsObject().Select(p => p.Key).TakeLast(2));
    }

    private static JsonNode Render(byte[] record) => JsonNode.Parse(EventJson.ToJson(Decode(record)))!;

    // The one record of a vector (the Record points into the array passed).
    private static Record Decode(byte[] record)
    {
        var records = BatchReader.EnumerateRecords(record);
        Assert.True(records.MoveNext());
        Assert.Equal(0, records.UnknownRecords);
        return records.Current;
    }
}
