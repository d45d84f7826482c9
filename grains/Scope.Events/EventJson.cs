using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Scope.Events;

/// <summary>
/// Renders a record as the JSON object the C collector prints for it (docs/collector.md,
/// collector-native/src/decode_json.c): same keys in the same order, same values. Two differences by
/// design: each <see cref="RecordType.SyscallCounts"/> record is its own object (the collector merges
/// consecutive records of one flush; a reader sums them by (pid, start_ns) either way), and the
/// escaping of the string bytes may differ where JSON allows it (the parsed values are identical).
/// </summary>
public static class EventJson
{
    private static readonly JsonWriterOptions s_options = new()
    {
        // Paths, comms and arguments stay readable: no \u escapes for non-ASCII text.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the record's JSON object.</summary>
    /// <exception cref="ArgumentException">Not a record from <see cref="RecordEnumerator"/> (e.g. a default one).</exception>
    public static void Write(Utf8JsonWriter writer, in Record record)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (record.Bytes.Length == 0 || record.Bytes.Length != Wire.RecordSize(record.Type))
        {
            throw new ArgumentException("Not a record of a known type.", nameof(record));
        }

        switch (record.Type)
        {
            case RecordType.ProcessExec:
                WriteExec(writer, record.As<ProcessExec>());
                break;
            case RecordType.ProcessFork:
                WriteFork(writer, record.As<ProcessFork>());
                break;
            case RecordType.ProcessExit:
                WriteExit(writer, record.As<ProcessExit>());
                break;
            case RecordType.Syscall:
                WriteSyscall(writer, record.As<Syscall>(), data: default, hasData: false);
                break;
            case RecordType.SyscallData:
                ref readonly SyscallData d = ref record.As<SyscallData>();
                WriteSyscall(writer, d.Sc, d, hasData: true);
                break;
            case RecordType.SyscallCounts:
                WriteCounts(writer, record.As<SyscallCounts>());
                break;
            case RecordType.SyscallHist:
                WriteHist(writer, record.As<SyscallHist>());
                break;
            case RecordType.CudaCall:
                WriteCuda(writer, record.As<CudaCall>());
                break;
            case RecordType.CudaRegister:
                WriteCudaRegister(writer, record.As<CudaRegister>());
                break;
            case RecordType.CudaStack:
                WriteCudaStack(writer, record.As<CudaStack>());
                break;
            case RecordType.Symbol:
                WriteSymbol(writer, record.As<Symbol>());
                break;
            case RecordType.PythonSample:
                WritePythonSample(writer, record.As<PythonSample>());
                break;
            case RecordType.PythonCode:
                WritePythonCode(writer, record.As<PythonCode>());
                break;
            case RecordType.PythonCall:
                WritePythonCall(writer, record.As<PythonCall>());
                break;
        }
    }

    private static void WriteHexProperty(Utf8JsonWriter w, ReadOnlySpan<byte> name, ulong v)
    {
        Span<byte> text = stackalloc byte[2 + 16];
        "0x"u8.CopyTo(text);
        v.TryFormat(text[2..], out int n, "x", CultureInfo.InvariantCulture);
        w.WriteString(name, text[..(2 + n)]);
    }

    private static void WriteDim3(Utf8JsonWriter w, ReadOnlySpan<byte> name, in Dim3 d)
    {
        w.WriteStartArray(name);
        foreach (var v in d.AsSpan())
            w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    // The same keys, in the same order, as collector-native/src/decode_json.c's cuda_json.
    private static void WriteCuda(Utf8JsonWriter w, in CudaCall c)
    {
        WriteHeader(w, c.Hdr, "cuda"u8);
        w.WriteString("api"u8, CudaNames.ApiWithVariant(c.Api, c.Flags));
        w.WriteNumber("ret"u8, c.Ret);
        w.WriteNumber("dur_ns"u8, c.DurNs);
        var api = (CudaApi)c.Api;
        switch (api)
        {
            case CudaApi.Malloc or CudaApi.MallocHost or CudaApi.MallocManaged or CudaApi.MallocAsync or CudaApi.CuMemAlloc:
                w.WriteNumber("bytes"u8, c.Bytes);
                WriteHexProperty(w, "ptr"u8, c.Address);
                break;
            case CudaApi.Free or CudaApi.FreeHost or CudaApi.FreeAsync or CudaApi.CuMemFree:
                WriteHexProperty(w, "ptr"u8, c.Address);
                break;
            case CudaApi.CuMemCreate:
                // The driver returns an allocation handle, not an address; the wire carries it in ptr.
                WriteHexProperty(w, "handle"u8, c.Address);
                w.WriteNumber("bytes"u8, c.Bytes);
                break;
            case CudaApi.CuMemMap:
                WriteHexProperty(w, "ptr"u8, c.Address);
                w.WriteNumber("bytes"u8, c.Bytes);
                WriteHexProperty(w, "handle"u8, c.Src);
                w.WriteNumber("offset"u8, c.Stream);
                break;
            case CudaApi.CuMemUnmap:
                WriteHexProperty(w, "ptr"u8, c.Address);
                w.WriteNumber("bytes"u8, c.Bytes);
                break;
            case CudaApi.CuMemRelease:
                WriteHexProperty(w, "handle"u8, c.Address);
                break;
            case CudaApi.Memcpy or CudaApi.MemcpyAsync or CudaApi.CuMemcpyHtoD or CudaApi.CuMemcpyDtoH
                or CudaApi.CuMemcpyDtoD or CudaApi.CuMemcpyHtoDAsync or CudaApi.CuMemcpyDtoHAsync
                or CudaApi.CuMemcpyDtoDAsync:
                w.WriteNumber("bytes"u8, c.Bytes);
                WriteHexProperty(w, "ptr"u8, c.Address);
                WriteHexProperty(w, "src"u8, c.Src);
                w.WriteNumber("kind"u8, c.Kind);
                if (CudaNames.Kind(c.Kind) is { } kind)
                    w.WriteString("kind_name"u8, kind);
                else
                    w.WriteNull("kind_name"u8);
                break;
            case CudaApi.LaunchKernel or CudaApi.LaunchKernelExC or CudaApi.CuLaunchKernel or CudaApi.CuLaunchKernelEx:
                WriteHexProperty(w, "func"u8, c.Func);
                WriteDim3(w, "grid"u8, c.Grid);
                WriteDim3(w, "block"u8, c.Block);
                w.WriteNumber("shared_mem"u8, c.SharedMem);
                break;
            case CudaApi.GraphLaunch:
                WriteHexProperty(w, "graph"u8, c.Func);
                break;
        }
        if (api is CudaApi.MallocAsync or CudaApi.FreeAsync or CudaApi.MemcpyAsync or CudaApi.LaunchKernel
            or CudaApi.LaunchKernelExC or CudaApi.GraphLaunch or CudaApi.StreamSynchronize
            or CudaApi.CuMemcpyHtoDAsync or CudaApi.CuMemcpyDtoHAsync or CudaApi.CuMemcpyDtoDAsync
            or CudaApi.CuLaunchKernel or CudaApi.CuLaunchKernelEx)
            WriteHexProperty(w, "stream"u8, c.Stream);
        if (c.Device >= 0)
            w.WriteNumber("device"u8, c.Device);
        if ((c.Flags & Wire.CudaHasStack) != 0)
            w.WriteBoolean("has_stack"u8, true);
        w.WriteEndObject();
    }

    private static void WriteCudaRegister(Utf8JsonWriter w, in CudaRegister r)
    {
        WriteHeader(w, r.Hdr, "cuda_register"u8);
        switch (r.Kind)
        {
            case Wire.CudaRegFatBinary: w.WriteString("kind"u8, "fat_binary"u8); break;
            case Wire.CudaRegFunction: w.WriteString("kind"u8, "function"u8); break;
            case Wire.CudaRegSymbol: w.WriteString("kind"u8, "elf_symbol"u8); break;
            case Wire.CudaRegKernelHandle: w.WriteString("kind"u8, "kernel_handle"u8); break;
            case Wire.CudaRegModuleFunction: w.WriteString("kind"u8, "module_function"u8); break;
            case Wire.CudaRegLibraryKernel: w.WriteString("kind"u8, "library_kernel"u8); break;
            case Wire.CudaRegKernelFunction: w.WriteString("kind"u8, "kernel_function"u8); break;
            default: w.WriteNull("kind"u8); break;
        }
        WriteHexProperty(w, "handle"u8, r.Handle);
        if (r.Kind != Wire.CudaRegFatBinary)
        {
            WriteHexProperty(w, "host_fun"u8, r.HostFun);
            WriteCString(w, "name"u8, r.Name.AsSpan()[..Math.Min((int)r.NameLen, Text256.Length)]);
            if (r.Kernel.AsSpan()[0] != 0)
                WriteCString(w, "kernel"u8, r.Kernel.AsSpan());
            if ((r.Flags & Wire.ExecFilenameTruncated) != 0)
                w.WriteBoolean("name_truncated"u8, true);
            if ((r.Flags & Wire.CudaRegNotDemangled) != 0)
                w.WriteBoolean("not_demangled"u8, true);
        }
        w.WriteEndObject();
    }

    // decode_json.c's cuda_stack_json without its "symbols" (the collector's own names for people
    // reading its output; readers of the wire name frames from symbol records instead).
    private static void WriteCudaStack(Utf8JsonWriter w, in CudaStack s)
    {
        WriteHeader(w, s.Hdr, "cuda_stack"u8);
        w.WriteString("api"u8, CudaNames.ApiOrNumber(s.Api));
        WriteHexArray(w, "frames"u8, s.Valid);
        if (s.Truncated)
            w.WriteBoolean("truncated"u8, true);
        w.WriteEndObject();
    }

    /// <summary>Addresses as an array of "0x…" strings, as the collector writes them.</summary>
    private static void WriteHexArray(Utf8JsonWriter w, ReadOnlySpan<byte> name, ReadOnlySpan<ulong> values)
    {
        w.WriteStartArray(name);
        Span<byte> text = stackalloc byte[2 + 16];
        "0x"u8.CopyTo(text);
        foreach (ulong v in values)
        {
            v.TryFormat(text[2..], out int n, "x", CultureInfo.InvariantCulture);
            w.WriteStringValue(text[..(2 + n)]);
        }
        w.WriteEndArray();
    }

    private static void WriteSymbol(Utf8JsonWriter w, in Symbol s)
    {
        WriteHeader(w, s.Hdr, "symbol"u8);
        WriteHexProperty(w, "addr"u8, s.Addr);
        w.WriteNumber("offset"u8, s.Offset);
        WriteCString(w, "module"u8, s.Module.AsSpan());
        // Up to the NUL, not name_len, as decode_json.c reads it.
        WriteCString(w, "name"u8, s.Name.AsSpan());
        if (s.Unknown)
            w.WriteBoolean("unknown"u8, true);
        if (s.NameTruncated)
            w.WriteBoolean("name_truncated"u8, true);
        w.WriteEndObject();
    }

    // decode_json.c's python_sample_json without each frame's "function" and "file" (the collector's
    // own names for people reading its output; readers of the wire name frames from python_code records).
    private static void WritePythonSample(Utf8JsonWriter w, in PythonSample s)
    {
        WriteHeader(w, s.Hdr, "python_sample"u8);

        // "%u.%u" of the two bytes, as decode_json.c prints it: "3.12".
        Span<byte> version = stackalloc byte[8];
        s.VersionMajor.TryFormat(version, out int n, default, CultureInfo.InvariantCulture);
        version[n++] = (byte)'.';
        s.VersionMinor.TryFormat(version[n..], out int minor, default, CultureInfo.InvariantCulture);
        w.WriteString("version"u8, version[..(n + minor)]);

        w.WriteStartArray("stack"u8);
        foreach (ref readonly PyFrame f in s.ValidFrames)
        {
            w.WriteStartObject();
            WriteHexProperty(w, "code"u8, f.Code);
            w.WriteNumber("instr"u8, f.Instr);
            w.WriteNumber("line"u8, f.Line);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        WriteHexArray(w, "native"u8, s.ValidNative);
        if (s.Truncated)
            w.WriteBoolean("truncated"u8, true);
        if (s.NoThreadState)
            w.WriteBoolean("no_thread_state"u8, true);
        if ((s.Flags & Wire.PyAtCuda) != 0)
            w.WriteBoolean("at_cuda_call"u8, true);
        w.WriteEndObject();
    }

    private static void WritePythonCall(Utf8JsonWriter w, in PythonCall c)
    {
        WriteHeader(w, c.Hdr, "python_call"u8);
        WriteCString(w, "function"u8, c.Function.AsSpan());
        WriteCString(w, "file"u8, c.File.AsSpan());
        w.WriteNumber("line"u8, c.Line);
        w.WriteNumber("dur_ns"u8, c.DurNs);
        w.WriteNumber("depth"u8, c.Depth);
        if ((c.Flags & Wire.ExecFilenameTruncated) != 0)
            w.WriteBoolean("file_truncated"u8, true);
        w.WriteEndObject();
    }

    private static void WritePythonCode(Utf8JsonWriter w, in PythonCode c)
    {
        WriteHeader(w, c.Hdr, "python_code"u8);
        WriteHexProperty(w, "code"u8, c.Code);
        w.WriteNumber("first_line"u8, c.FirstLine);
        WriteCString(w, "function"u8, c.Qualname.AsSpan());
        WriteCString(w, "file"u8, c.Filename.AsSpan());
        if (c.Unreadable)
            w.WriteBoolean("unreadable"u8, true);
        if (c.NameTruncated)
            w.WriteBoolean("name_truncated"u8, true);
        w.WriteEndObject();
    }

    /// <summary>The record's JSON object as one line, without the trailing newline. Allocates.</summary>
    public static string ToJson(in Record record)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, s_options))
        {
            Write(writer, record);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Options for a <see cref="Utf8JsonWriter"/> that writes like <see cref="ToJson"/>.</summary>
    public static JsonWriterOptions WriterOptions => s_options;

    private static void WriteHeader(Utf8JsonWriter w, in EventHeader h, ReadOnlySpan<byte> type)
    {
        w.WriteStartObject();
        w.WriteString("type"u8, type);
        w.WriteNumber("ts_ns"u8, h.TsNs);
        w.WriteNumber("pid"u8, h.Pid);
        w.WriteNumber("tid"u8, h.Tid);
        WriteCString(w, "comm"u8, h.Comm.AsSpan());
        w.WriteNumber("start_ns"u8, h.StartNs);
        w.WriteNumber("cpu"u8, h.Cpu);
    }

    private static void WriteInfo(Utf8JsonWriter w, in ProcessInfo i)
    {
        w.WriteNumber("ppid"u8, i.Ppid);
        w.WriteNumber("uid"u8, i.Uid);
        w.WriteNumber("cgroup_id"u8, i.CgroupId);
    }

    private static void WriteExec(Utf8JsonWriter w, in ProcessExec e)
    {
        WriteHeader(w, e.Hdr, "process_exec"u8);
        WriteInfo(w, e.Info);
        WriteCString(w, "filename"u8, e.Filename.AsSpan()[..Math.Min((int)e.FilenameLen, Text256.Length)]);

        // NUL-separated; an argument cut by truncation (no final NUL) is still shown.
        w.WriteStartArray("argv"u8);
        ReadOnlySpan<byte> argv = e.Argv.AsSpan()[..Math.Min((int)e.ArgvLen, Bytes1024.Length)];
        while (!argv.IsEmpty)
        {
            int end = argv.IndexOf((byte)0);
            WriteCStringValue(w, end < 0 ? argv : argv[..end]);
            argv = end < 0 ? default : argv[(end + 1)..];
        }

        w.WriteEndArray();
        w.WriteNumber("argc"u8, e.Argc);
        if (e.ArgvTruncated)
        {
            w.WriteBoolean("argv_truncated"u8, true);
        }

        if (e.FilenameTruncated)
        {
            w.WriteBoolean("filename_truncated"u8, true);
        }

        if (e.OldPid != 0)
        {
            w.WriteNumber("old_tid"u8, e.OldPid);
        }

        w.WriteEndObject();
    }

    private static void WriteFork(Utf8JsonWriter w, in ProcessFork e)
    {
        WriteHeader(w, e.Hdr, "process_fork"u8);
        WriteInfo(w, e.Info);
        w.WriteNumber("child_pid"u8, e.ChildPid);
        w.WriteNumber("child_start_ns"u8, e.ChildStartNs);
        w.WriteEndObject();
    }

    private static void WriteExit(Utf8JsonWriter w, in ProcessExit e)
    {
        WriteHeader(w, e.Hdr, "process_exit"u8);
        WriteInfo(w, e.Info);
        w.WriteNumber("exit_code"u8, e.ExitCode);
        w.WriteNumber("signal"u8, e.Signal);
        if (e.CoreDumped)
        {
            w.WriteBoolean("core_dumped"u8, true);
        }

        w.WriteEndObject();
    }

    private static void WriteSyscall(Utf8JsonWriter w, in Syscall sc, in SyscallData data, bool hasData)
    {
        SyscallTable table = SyscallTable.Default;
        WriteHeader(w, sc.Hdr, "syscall"u8);
        WriteSyscallName(w, table, "name"u8, sc.Nr);
        w.WriteNumber("nr"u8, sc.Nr);
        w.WriteNumber("ret"u8, sc.Ret);
        if (sc.IsError)
        {
            w.WriteString("error"u8, Errno.Name((int)-sc.Ret));
        }

        w.WriteNumber("dur_ns"u8, sc.DurNs);
        if (sc.NoReturn)
        {
            w.WriteBoolean("no_return"u8, true);
        }

        w.WriteStartObject("args"u8);
        IReadOnlyList<SyscallArg> specs = table.Args(sc.Nr);
        if (specs.Count == 0)
        {
            // No spec (or no such syscall): the raw registers, unsigned.
            ReadOnlySpan<ulong> args = sc.Args.AsSpan();
            w.WriteNumber("arg0"u8, args[0]);
            w.WriteNumber("arg1"u8, args[1]);
            w.WriteNumber("arg2"u8, args[2]);
            w.WriteNumber("arg3"u8, args[3]);
            w.WriteNumber("arg4"u8, args[4]);
            w.WriteNumber("arg5"u8, args[5]);
        }
        else
        {
            for (int i = 0; i < specs.Count; i++)
            {
                WriteArg(w, specs[i], sc, data, hasData);
            }
        }

        w.WriteEndObject();
        if (hasData && sc.DataTruncated)
        {
            w.WriteBoolean("data_truncated"u8, true);
        }

        w.WriteEndObject();
    }

    private static void WriteArg(Utf8JsonWriter w, SyscallArg spec, in Syscall sc, in SyscallData data, bool hasData)
    {
        switch (spec.Source)
        {
            case SyscallArgSource.Return:
                // Any negative value, not only errors, is no result (as in decode_json.c).
                if (sc.Ret >= 0 && !sc.NoReturn)
                {
                    w.WriteNumber(spec.Name, sc.Ret);
                }

                break;
            case SyscallArgSource.Data:
                if (!hasData || data.DataKind == Wire.DataNone)
                {
                    break;
                }

                w.WritePropertyName(spec.Name);
                if (data.DataKind == Wire.DataPath)
                {
                    WriteCStringValue(w, data.DataSpan);
                }
                else if (data.DataKind == Wire.DataSockaddr)
                {
                    WriteSockaddr(w, data.DataSpan);
                }
                else
                {
                    w.WriteNullValue();
                }

                break;
            default:
                WriteRegister(w, spec, sc.Args.AsSpan()[spec.Register]);
                break;
        }
    }

    private static void WriteRegister(Utf8JsonWriter w, SyscallArg spec, ulong v)
    {
        switch (spec.Format)
        {
            case SyscallArgFormat.SignedDecimal:
                // int-typed arguments live in the low 32 bits.
                w.WriteNumber(spec.Name, unchecked((int)v));
                break;
            case SyscallArgFormat.Hex:
            {
                Span<byte> text = stackalloc byte[18];
                "0x"u8.CopyTo(text);
                v.TryFormat(text[2..], out int n, "x", CultureInfo.InvariantCulture);
                w.WriteString(spec.Name, text[..(2 + n)]);
                break;
            }

            case SyscallArgFormat.Octal:
            {
                // printf's %#llo: "0" for zero, else the digits behind one leading 0.
                Span<byte> text = stackalloc byte[23];
                int i = text.Length;
                do
                {
                    text[--i] = (byte)('0' + (int)(v & 7));
                    v >>= 3;
                }
                while (v != 0);
                if (text[i] != (byte)'0')
                {
                    text[--i] = (byte)'0';
                }

                w.WriteString(spec.Name, text[i..]);
                break;
            }

            default:
                w.WriteNumber(spec.Name, v);
                break;
        }
    }

    // sockaddr_json in decode_json.c: the struct as the process passed it, data_len bytes of it.
    private static void WriteSockaddr(Utf8JsonWriter w, ReadOnlySpan<byte> sa)
    {
        const ushort AfUnix = 1, AfInet = 2, AfInet6 = 10;
        const int SockaddrInSize = 16, SockaddrIn6Size = 28, SunPathOffset = 2, SunPathSize = 108;

        // decode_json.c copies at most sizeof(struct sockaddr_storage) bytes.
        sa = sa[..Math.Min(sa.Length, 128)];
        w.WriteStartObject();
        if (sa.Length < 2)
        {
            w.WriteNull("family"u8);
            w.WriteEndObject();
            return;
        }

        ushort family = BinaryPrimitives.ReadUInt16LittleEndian(sa);
        Span<byte> ip = stackalloc byte[InetText.MaxLength];
        if (family == AfInet && sa.Length >= SockaddrInSize)
        {
            w.WriteString("family"u8, "inet"u8);
            w.WriteString("ip"u8, ip[..InetText.FormatIPv4(sa.Slice(4, 4), ip)]);
            w.WriteNumber("port"u8, BinaryPrimitives.ReadUInt16BigEndian(sa[2..]));
        }
        else if (family == AfInet6 && sa.Length >= SockaddrIn6Size)
        {
            w.WriteString("family"u8, "inet6"u8);
            w.WriteString("ip"u8, ip[..InetText.FormatIPv6(sa.Slice(8, 16), ip)]);
            w.WriteNumber("port"u8, BinaryPrimitives.ReadUInt16BigEndian(sa[2..]));
        }
        else if (family == AfUnix)
        {
            ReadOnlySpan<byte> path = sa[SunPathOffset..];
            path = path[..Math.Min(path.Length, SunPathSize)];
            w.WriteString("family"u8, "unix"u8);
            if (!path.IsEmpty && path[0] == 0)
            {
                // The abstract namespace, shown with a leading @ (up to the next NUL, as jb_str stops there).
                Span<byte> named = stackalloc byte[SunPathSize];
                named[0] = (byte)'@';
                path[1..].CopyTo(named[1..]);
                WriteCString(w, "path"u8, named[..path.Length]);
            }
            else
            {
                WriteCString(w, "path"u8, path);
            }
        }
        else
        {
            w.WriteNumber("family"u8, family);
        }

        w.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter w, in SyscallCounts c)
    {
        SyscallTable table = SyscallTable.Default;
        WriteHeader(w, c.Hdr, "syscall_counts"u8);
        w.WriteBoolean("final"u8, c.Final);
        w.WriteBoolean("enter_only"u8, c.EnterOnly);
        w.WriteStartObject("counts"u8);

        // One key per syscall: a number repeated inside the record is summed into its first place, as
        // the collector's merge does, so the object never has duplicate keys.
        ReadOnlySpan<SyscallCount> entries = c.Valid;
        for (int i = 0; i < entries.Length; i++)
        {
            uint nr = entries[i].Nr;
            if (IndexOfNr(entries[..i], nr) >= 0)
            {
                continue;
            }

            ulong count = 0, errors = 0, totalNs = 0;
            for (int j = i; j < entries.Length; j++)
            {
                if (entries[j].Nr == nr)
                {
                    count += entries[j].Count;
                    errors += entries[j].Errors;
                    totalNs += entries[j].TotalNs;
                }
            }

            WriteSyscallName(w, table, propertyName: default, nr);
            w.WriteStartObject();
            w.WriteNumber("count"u8, count);
            w.WriteNumber("errors"u8, errors);
            w.WriteNumber("total_ns"u8, totalNs);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static int IndexOfNr(ReadOnlySpan<SyscallCount> entries, uint nr)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i].Nr == nr)
            {
                return i;
            }
        }

        return -1;
    }

    private static void WriteHist(Utf8JsonWriter w, in SyscallHist h)
    {
        WriteHeader(w, h.Hdr, "syscall_hist"u8);
        WriteSyscallName(w, SyscallTable.Default, "name"u8, h.Nr);
        w.WriteNumber("nr"u8, h.Nr);
        w.WriteBoolean("final"u8, h.Final);
        ReadOnlySpan<uint> buckets = h.Buckets.AsSpan();
        ulong total = 0;
        foreach (uint n in buckets)
        {
            total += n;
        }

        w.WriteNumber("count"u8, total);
        w.WriteNumber("p50_ns"u8, Histogram.Quantile(buckets, 0.50));
        w.WriteNumber("p99_ns"u8, Histogram.Quantile(buckets, 0.99));

        // Only the buckets that hold something, as [lower bound ns, calls].
        w.WriteStartArray("buckets"u8);
        for (int b = 0; b < buckets.Length; b++)
        {
            if (buckets[b] == 0)
            {
                continue;
            }

            w.WriteStartArray();
            w.WriteNumberValue(Histogram.Lower(b));
            w.WriteNumberValue(buckets[b]);
            w.WriteEndArray();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    // The table's name, or sys_N formatted on the stack. An empty propertyName writes the name as a key.
    private static void WriteSyscallName(Utf8JsonWriter w, SyscallTable table, ReadOnlySpan<byte> propertyName, uint nr)
    {
        if (table.TryGetName(nr, out string? name))
        {
            if (propertyName.IsEmpty)
            {
                w.WritePropertyName(name);
            }
            else
            {
                w.WriteString(propertyName, name);
            }

            return;
        }

        Span<byte> text = stackalloc byte[16];
        "sys_"u8.CopyTo(text);
        nr.TryFormat(text[4..], out int n, default, CultureInfo.InvariantCulture);
        if (propertyName.IsEmpty)
        {
            w.WritePropertyName(text[..(4 + n)]);
        }
        else
        {
            w.WriteString(propertyName, text[..(4 + n)]);
        }
    }

    private static void WriteCString(Utf8JsonWriter w, ReadOnlySpan<byte> propertyName, ReadOnlySpan<byte> s)
    {
        w.WritePropertyName(propertyName);
        WriteCStringValue(w, s);
    }

    // Up to the first NUL; invalid UTF-8 bytes become U+FFFD (CText), so the writer never sees invalid input.
    private static void WriteCStringValue(Utf8JsonWriter w, ReadOnlySpan<byte> s)
    {
        s = CText.UntilNul(s);
        if (CText.IsValid(s))
        {
            w.WriteStringValue(s);
            return;
        }

        int max = CText.MaxSanitizedLength(s.Length);
        byte[]? rented = max > 1024 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> buffer = rented ?? stackalloc byte[1024];
        int n = CText.Sanitize(s, buffer);
        w.WriteStringValue(buffer[..n]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
