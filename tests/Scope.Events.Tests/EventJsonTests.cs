using System.Buffers.Binary;
using System.Net;
using System.Text.Json.Nodes;

namespace Scope.Events.Tests;

/// <summary>Decoding cases the golden vectors do not cover, with the values decode_json.c prints for them.</summary>
public sealed class EventJsonTests
{
    [Theory]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("::ffff:1.2.3.4", "::ffff:1.2.3.4")]
    [InlineData("::1.2.3.4", "::1.2.3.4")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("1:0:0:1:0:0:0:1", "1:0:0:1::1")]
    [InlineData("fe80::1:0:0:1", "fe80::1:0:0:1")]
    [InlineData("0:0:1::", "0:0:1::")]
    [InlineData("1::", "1::")]
    [InlineData("1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0")]
    [InlineData("::ffff:0:102:304", "::ffff:0:102:304")]
    [InlineData("0:0:0:0:0:1:0:0", "::1:0:0")]
    [InlineData("::0.1.0.0", "::0.1.0.0")]
    [InlineData("::ffff:0.0.0.0", "::ffff:0.0.0.0")]
    [InlineData("64:ff9b::1.2.3.4", "64:ff9b::102:304")]
    [InlineData("1:0:0:2:0:0:3:4", "1::2:0:0:3:4")]
    [InlineData("abcd:ef01:2345:6789:abcd:ef01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789")]
    public void Inet6_addresses_print_as_glibc_inet_ntop(string address, string glibc)
    {
        // Expected values from glibc 2.36's inet_ntop, which the collector uses.
        byte[] sa = new byte[28];
        BinaryPrimitives.WriteUInt16LittleEndian(sa, 10);
        BinaryPrimitives.WriteUInt16BigEndian(sa.AsSpan(2), 443);
        IPAddress.Parse(address).GetAddressBytes().CopyTo(sa, 8);
        JsonNode addr = Connect(sa)["args"]!["addr"]!;
        Assert.Equal("inet6", (string)addr["family"]!);
        Assert.Equal(glibc, (string)addr["ip"]!);
        Assert.Equal(443, (int)addr["port"]!);
    }

    [Fact]
    public void Unix_addresses()
    {
        JsonNode a = Connect([1, 0, .. "/run/x"u8, 0, 0])["args"]!["addr"]!;
        Assert.Equal("""{"family":"unix","path":"/run/x"}""", a.ToJsonString());

        a = Connect([1, 0, 0, .. "abstract"u8, 0, .. "tail"u8])["args"]!["addr"]!;
        Assert.Equal("""{"family":"unix","path":"@abstract"}""", a.ToJsonString());

        a = Connect([1, 0])["args"]!["addr"]!;
        Assert.Equal("""{"family":"unix","path":""}""", a.ToJsonString());
    }

    [Fact]
    public void Short_and_foreign_addresses()
    {
        Assert.Equal("""{"family":null}""", Connect([2])["args"]!["addr"]!.ToJsonString());
        Assert.Equal("""{"family":2}""", Connect([2, 0, 0x1F, 0x90, 127, 0, 0, 1])["args"]!["addr"]!.ToJsonString());
        Assert.Equal("""{"family":17}""", Connect([17, 0, 1, 2, 3])["args"]!["addr"]!.ToJsonString());
    }

    [Fact]
    public void Data_kinds()
    {
        Assert.False(Connect([2, 0], kind: Wire.DataNone)["args"]!.AsObject().ContainsKey("addr"));
        JsonObject unknownKind = Connect([2, 0], kind: 9)["args"]!.AsObject();
        Assert.True(unknownKind.ContainsKey("addr"));
        Assert.Null(unknownKind["addr"]);
        Assert.Equal("/tmp/x", (string)Connect("/tmp/x"u8.ToArray(), kind: Wire.DataPath)["args"]!["addr"]!);
    }

    [Fact]
    public void Invalid_utf8_becomes_one_replacement_per_byte_like_jbuf()
    {
        // E2 82 41: Encoding.UTF8 gives one U+FFFD for the truncated sequence, jbuf.c two.
        JsonNode json = Connect([.. "/a"u8, 0xE2, 0x82, (byte)'A', 0xC0, 0x80, 0xED, 0xA0, 0x80, 0xF4, 0x90, 0x80, 0x80, .. "é€😀"u8], kind: Wire.DataPath);
        Assert.Equal("/a\uFFFD\uFFFDA\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDé€😀", (string)json["args"]!["addr"]!);
    }

    [Fact]
    public void Non_ascii_stays_readable()
    {
        string text = EventJson.ToJson(Decode(Syscall(257, ret: 3, data: "/tmp/é<>&'"u8.ToArray(), kind: Wire.DataPath)));
        Assert.Contains("/tmp/é<>&'", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Unnamed_and_unspecified_syscalls_show_raw_registers()
    {
        // stat (4) is named but has no spec; 1000 is past the table.
        JsonNode stat = Render(Syscall(4, ret: 0, args: [1, ulong.MaxValue, 3, 4, 5, 6]));
        Assert.Equal("stat", (string)stat["name"]!);
        Assert.Equal(ulong.MaxValue, (ulong)stat["args"]!["arg1"]!);
        Assert.Equal(6, ((JsonObject)stat["args"]!).Count);

        JsonNode far = Render(Syscall(1000, ret: -4096, args: [1, 2, 3, 4, 5, 6]));
        Assert.Equal("sys_1000", (string)far["name"]!);
        Assert.Null(far["error"]); // -4096 is outside -4095..-1
    }

    [Fact]
    public void Register_formats()
    {
        // mmap: addr=0:x, length=1:u, prot=2:x, flags=3:x, fd=4:d, offset=5:u; a negative return that is no error
        JsonNode mmap = Render(Syscall(9, ret: -5000, args: [0, 4096, 3, 0x22, 0xFFFFFFFF, 0]));
        Assert.Equal("""{"addr":"0x0","length":4096,"prot":"0x3","flags":"0x22","fd":-1,"offset":0}""", mmap["args"]!.ToJsonString());
        Assert.Null(mmap["error"]);

        // creat: path=data (absent: a plain Syscall record has no data), mode=1:o, fd=ret
        JsonNode creat = Render(Syscall(85, ret: 4, args: [0, 0x1FF, 0, 0, 0, 0]));
        Assert.Equal("""{"mode":"0777","fd":4}""", creat["args"]!.ToJsonString());
        creat = Render(Syscall(85, ret: 4, args: [0, ulong.MaxValue, 0, 0, 0, 0]));
        Assert.Equal("01777777777777777777777", (string)creat["args"]!["mode"]!);
        creat = Render(Syscall(85, ret: 4, args: [0, 0, 0, 0, 0, 0]));
        Assert.Equal("0", (string)creat["args"]!["mode"]!);
    }

    [Theory]
    [InlineData(1, "EPERM")]
    [InlineData(11, "EAGAIN")]
    [InlineData(35, "EDEADLK")]
    [InlineData(41, "E41")]
    [InlineData(58, "E58")]
    [InlineData(95, "EOPNOTSUPP")]
    [InlineData(133, "EHWPOISON")]
    [InlineData(134, "E134")]
    [InlineData(512, "E512")]
    [InlineData(4095, "E4095")]
    public void Error_names_are_glibcs(int errno, string name)
    {
        Assert.Equal(name, Errno.Name(errno));
        Assert.Equal(name, (string)Render(Syscall(0, ret: -errno, args: [3, 0, 10, 0, 0, 0]))["error"]!);
    }

    [Fact]
    public void Flags_that_add_keys()
    {
        byte[] r = Syscall(257, ret: -2, data: "/very/long"u8.ToArray(), kind: Wire.DataPath);
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(52), Wire.SyscallDataTruncated);
        Assert.True((bool)Render(r)["data_truncated"]!);

        // The flag means nothing on a plain Syscall record.
        byte[] plain = Syscall(257, ret: 3, args: [0, 0, 0, 0, 0, 0]);
        BinaryPrimitives.WriteUInt16LittleEndian(plain.AsSpan(52), Wire.SyscallDataTruncated);
        Assert.Null(Render(plain)["data_truncated"]);

        byte[] exec = Golden.RecordBytes("process_exec");
        BinaryPrimitives.WriteUInt16LittleEndian(exec.AsSpan(72), Wire.ExecFilenameTruncated);
        JsonNode json = Render(exec);
        Assert.True((bool)json["filename_truncated"]!);
        Assert.Null(json["argv_truncated"]);
        Assert.Null(json["old_tid"]);
    }

    [Fact]
    public void Exec_argv_edge_cases()
    {
        byte[] exec = Golden.RecordBytes("process_exec");
        byte[] argv = [.. "a"u8, 0, 0, .. "b"u8, 0];
        argv.CopyTo(exec, 336);
        BinaryPrimitives.WriteUInt16LittleEndian(exec.AsSpan(70), (ushort)argv.Length);
        Assert.Equal("""["a","","b"]""", Render(exec)["argv"]!.ToJsonString());

        BinaryPrimitives.WriteUInt16LittleEndian(exec.AsSpan(70), 0);
        Assert.Equal("[]", Render(exec)["argv"]!.ToJsonString());

        // Lengths past the buffers are capped, and the filename stops at its NUL.
        BinaryPrimitives.WriteUInt16LittleEndian(exec.AsSpan(68), 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(exec.AsSpan(70), 0xFFFF);
        JsonNode json = Render(exec);
        Assert.Equal("/bin/cat", (string)json["filename"]!);
        byte[] area = exec.AsSpan(336, 1024).ToArray();
        int segments = area.Count(b => b == 0) + (area[^1] == 0 ? 0 : 1); // as decode_json.c walks it
        Assert.Equal(segments, json["argv"]!.AsArray().Count);
        Assert.Equal("cat", (string)json["argv"]![3]!);
    }

    [Fact]
    public void Counts_sum_a_number_repeated_in_one_record_and_cap_n()
    {
        byte[] counts = Golden.RecordBytes("syscall_counts");
        BinaryPrimitives.WriteUInt32LittleEndian(counts.AsSpan(56 + (2 * 32)), 0); // third entry: read again
        JsonNode json = Render(counts);
        Assert.Equal("""{"read":{"count":35,"errors":13,"total_ns":110734},"write":{"count":137,"errors":2,"total_ns":99000}}""", json["counts"]!.ToJsonString());

        BinaryPrimitives.WriteUInt16LittleEndian(counts.AsSpan(48), 500);
        BinaryPrimitives.WriteUInt16LittleEndian(counts.AsSpan(50), Wire.CountsEnterOnly);
        json = Render(counts);
        Assert.False((bool)json["final"]!);
        Assert.True((bool)json["enter_only"]!);
        Assert.Equal(2, json["counts"]!.AsObject().Count); // 32 entries, the zero ones all "read" with nothing added
    }

    private static JsonNode Connect(byte[] sockaddr, ushort kind = Wire.DataSockaddr) =>
        Render(Syscall(42, ret: 0, data: sockaddr, kind: kind, args: [5, 0x7ffd2000, (ulong)sockaddr.Length, 0, 0, 0]));

    private static JsonNode Render(byte[] record) => JsonNode.Parse(EventJson.ToJson(Decode(record)))!;

    private static Record Decode(byte[] record)
    {
        var records = BatchReader.EnumerateRecords(record);
        Assert.True(records.MoveNext());
        return records.Current;
    }

    // A syscall record from the golden read's header; with data it is a SyscallData record.
    private static byte[] Syscall(uint nr, long ret, ulong[]? args = null, byte[]? data = null, ushort kind = 0)
    {
        byte[] r = new byte[data is null ? 120 : 384];
        Golden.RecordBytes("syscall_read").AsSpan(0, 48).CopyTo(r);
        BinaryPrimitives.WriteUInt16LittleEndian(r, (ushort)(data is null ? RecordType.Syscall : RecordType.SyscallData));
        BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(2), (ushort)r.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(48), nr);
        BinaryPrimitives.WriteInt64LittleEndian(r.AsSpan(56), ret);
        for (int i = 0; i < (args?.Length ?? 0); i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(72 + (8 * i)), args![i]);
        }

        if (data is not null)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(120), (ushort)data.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(r.AsSpan(122), kind);
            data.CopyTo(r, 128);
        }

        return r;
    }
}
