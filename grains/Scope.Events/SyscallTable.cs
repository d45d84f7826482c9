using System.Collections.ObjectModel;
using System.Globalization;

namespace Scope.Events;

/// <summary>
/// Syscall names and argument decoding, from bpf/syscalls_x86_64.tsv: the table the C collector is
/// generated from, embedded here unchanged. Lookups follow the collector's: numbers at or above
/// <see cref="Wire.SyscallMax"/> have no name, and a later line for the same number wins.
/// Immutable, so safe to share between threads.
/// </summary>
public sealed class SyscallTable
{
    private const string ResourceName = "Scope.Events.syscalls_x86_64.tsv";
    private const int MaxArgSpecs = 8;   // SCOPE_MAX_ARG_SPECS
    private const int MaxArgNameLength = 15; // char name[16] in struct scope_arg_spec

    private static readonly Lazy<SyscallTable> s_default = new(LoadDefault);

    private readonly string?[] _names = new string?[Wire.SyscallMax];
    private readonly IReadOnlyList<SyscallArg>[] _args = new IReadOnlyList<SyscallArg>[Wire.SyscallMax];
    private readonly Dictionary<string, int> _numbers = new(StringComparer.Ordinal);

    private SyscallTable(TextReader tsv)
    {
        Array.Fill(_args, ReadOnlyCollection<SyscallArg>.Empty);
        int lineNumber = 0;
        while (tsv.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            string[] cols = line.Split('\t');
            if (cols.Length < 2 || !uint.TryParse(cols[0], NumberStyles.None, CultureInfo.InvariantCulture, out uint nr) || cols[1].Length == 0)
            {
                throw new InvalidDataException($"syscall table line {lineNumber}: expected nr<TAB>name<TAB>capture<TAB>args");
            }

            string name = cols[1];
            SyscallArg[] args = ParseArgs(cols.Length > 3 ? cols[3] : "-")
                ?? throw new InvalidDataException($"syscall table line {lineNumber}: bad args spec for {name}: {cols[3]}");
            _numbers.TryAdd(name, (int)nr);
            if (nr < Wire.SyscallMax)
            {
                _names[nr] = name;
                _args[nr] = Array.AsReadOnly(args);
            }
        }
    }

    /// <summary>The table in bpf/syscalls_x86_64.tsv, as built into this assembly.</summary>
    public static SyscallTable Default => s_default.Value;

    /// <summary>Reads a table in the syscalls_x86_64.tsv format.</summary>
    /// <exception cref="InvalidDataException">A malformed line (the collector refuses to start on one too).</exception>
    public static SyscallTable Parse(TextReader tsv)
    {
        ArgumentNullException.ThrowIfNull(tsv);
        return new SyscallTable(tsv);
    }

    /// <summary>The syscall's name, or "sys_N" when the table does not name <paramref name="nr"/>.</summary>
    public string Name(uint nr) => TryGetName(nr, out string? name) ? name : string.Create(CultureInfo.InvariantCulture, $"sys_{nr}");

    /// <summary>The syscall's name, without inventing one.</summary>
    public bool TryGetName(uint nr, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? name)
    {
        name = nr < Wire.SyscallMax ? _names[nr] : null;
        return name is not null;
    }

    /// <summary>The number of a syscall name, or -1.</summary>
    public int Number(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _numbers.TryGetValue(name, out int nr) ? nr : -1;
    }

    /// <summary>
    /// How the syscall's arguments are decoded; empty when the table gives no spec, in which case the
    /// JSON shows the raw registers arg0..arg5.
    /// </summary>
    public IReadOnlyList<SyscallArg> Args(uint nr) => nr < Wire.SyscallMax ? _args[nr] : ReadOnlyCollection<SyscallArg>.Empty;

    private static SyscallTable LoadDefault()
    {
        using Stream stream = typeof(SyscallTable).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        return new SyscallTable(reader);
    }

    // Mirrors scope_parse_arg_specs in collector-native/src/syscall_lookup.c: "-" or name=SRC,...
    // with SRC one of ret, data or R:F (register 0-5, format d/u/x/o). Null when malformed.
    private static SyscallArg[]? ParseArgs(string spec)
    {
        // Like the C parser: "-" or nothing is no spec, and a trailing comma ends the list.
        if (spec is "-" or "")
        {
            return [];
        }

        if (spec.EndsWith(','))
        {
            spec = spec[..^1];
        }

        var args = new List<SyscallArg>();
        foreach (string item in spec.Split(','))
        {
            int eq = item.IndexOf('=', StringComparison.Ordinal);
            if (args.Count >= MaxArgSpecs || eq <= 0 || eq > MaxArgNameLength)
            {
                return null;
            }

            string name = item[..eq];
            string value = item[(eq + 1)..];
            SyscallArg? arg = value switch
            {
                "ret" => new SyscallArg(name, SyscallArgSource.Return, -1, SyscallArgFormat.SignedDecimal),
                "data" => new SyscallArg(name, SyscallArgSource.Data, -1, SyscallArgFormat.UnsignedDecimal),
                [>= '0' and <= '5', ':', var f] when ToFormat(f) is { } format =>
                    new SyscallArg(name, SyscallArgSource.Register, value[0] - '0', format),
                _ => null,
            };
            if (arg is null)
            {
                return null;
            }

            args.Add(arg);
        }

        return [.. args];
    }

    private static SyscallArgFormat? ToFormat(char f) => f switch
    {
        'd' => SyscallArgFormat.SignedDecimal,
        'u' => SyscallArgFormat.UnsignedDecimal,
        'x' => SyscallArgFormat.Hex,
        'o' => SyscallArgFormat.Octal,
        _ => null,
    };
}
