using System.Globalization;
using Scope.Bench;

// scope-bench: bench/pipeline/run.sh runs it; see that script for how.
//   scope-bench run --state DIR --out DIR [--sections pipeline,persistence,latency] [--quick]
//                   [--rows N] [--rounds N] [--probes N]
//       runs the sections against one private PostgreSQL in DIR and writes OUT/<section>.md
//   scope-bench node --state DIR [--persist] [--collector] [--silo-dll PATH]
//       starts PostgreSQL and a silo that accepts scope-loadgen (as the pipeline section does, or with
//       persistence and the local collector on), prints how to reach it, and runs until stdin closes:
//       for profiling by hand (perf, dotnet-counters) under the same conditions
//   scope-bench splice DOC SECTION FILE
//       replaces the text between <!-- SECTION:begin --> and <!-- SECTION:end --> in DOC with FILE
//       (appends the section when the markers are missing); the caller holds the document's lock.
if (args.Length == 0)
    return Usage();
try
{
    return args[0] switch
    {
        "run" => await RunAsync(args[1..]),
        "node" => await NodeAsync(args[1..]),
        "splice" when args.Length == 4 => Splice(args[1], args[2], args[3]),
        _ => Usage(),
    };
}
catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or Npgsql.NpgsqlException)
{
    Console.Error.WriteLine("scope-bench: " + e);
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: scope-bench run --state DIR --out DIR [--sections a,b,c] [--quick] [--rows N] [--rounds N] [--probes N]\n" +
        "       scope-bench splice DOC SECTION FILE");
    return 2;
}

static async Task<int> RunAsync(string[] args)
{
    string? state = null, output = null;
    var sections = new[] { "pipeline", "persistence", "latency" };
    bool quick = false;
    long rows = 1_000_000;
    int rounds = 4, probes = 200;
    for (int i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--state": state = args[++i]; break;
            case "--out": output = args[++i]; break;
            case "--sections": sections = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries); break;
            case "--quick": quick = true; break;
            case "--rows": rows = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
            case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
            case "--probes": probes = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
            default: return Usage();
        }
    }
    if (state is null || output is null)
        return Usage();
    Directory.CreateDirectory(output);
    var pg = new PgServer(state);
    await pg.StartAsync();
    try
    {
        foreach (var section in sections)
        {
            var nodeDir = Directory.CreateDirectory(Path.Combine(state, section)).FullName;
            string text = section switch
            {
                "pipeline" => await PipelineBench.RunAsync(nodeDir, pg, quick),
                "persistence" => await PersistenceBench.RunAsync(pg, rows, rounds),
                "latency" => await LatencyBench.RunAsync(nodeDir, pg, probes),
                _ => throw new InvalidOperationException("unknown section " + section),
            };
            await File.WriteAllTextAsync(Path.Combine(output, section + ".md"), text);
            Console.Error.WriteLine($"scope-bench: {section} done");
        }
    }
    finally
    {
        await pg.StopAsync();
    }
    return 0;
}

static async Task<int> NodeAsync(string[] args)
{
    string? state = null;
    bool persist = false, collector = false;
    var siloDll = Repo.SiloDll;
    for (int i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--state": state = args[++i]; break;
            case "--silo-dll": siloDll = args[++i]; break;
            case "--persist": persist = true; break;
            case "--collector": collector = true; break;
            default: return Usage();
        }
    }
    if (state is null)
        return Usage();
    var pg = new PgServer(state);
    await pg.StartAsync();
    try
    {
        var sender = new LoadSender(state);
        var settings = new Dictionary<string, string>(sender.Settings)
        {
            ["SCOPE__Storage__PersistEvents"] = persist ? "true" : "false",
            ["SCOPE__Collector__Enabled"] = collector ? "true" : "false",
        };
        await using var node = await SiloNode.StartAsync(state, pg, settings, siloDll);
        Console.WriteLine($"silo_pid={node.Pid} api={node.Api} ingest={node.IngestEndpoint} machine={sender.MachineId} secret={sender.SecretFile} collector={LoadSender.CollectorId} pg='{pg.ConnectionString}'");
        Console.Out.Flush();
        await Console.In.ReadToEndAsync();
    }
    finally
    {
        await pg.StopAsync();
    }
    return 0;
}

static int Splice(string doc, string section, string file)
{
    string begin = $"<!-- {section}:begin -->", end = $"<!-- {section}:end -->";
    var text = File.ReadAllText(doc);
    var body = File.ReadAllText(file).TrimEnd('\n') + "\n";
    int b = text.IndexOf(begin, StringComparison.Ordinal), e = text.IndexOf(end, StringComparison.Ordinal);
    string updated = b >= 0 && e > b
        ? string.Concat(text.AsSpan(0, b + begin.Length), "\n", body, text.AsSpan(e))
        : text.TrimEnd('\n') + "\n\n" + begin + "\n" + body + end + "\n";
    var tmp = doc + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
    File.WriteAllText(tmp, updated);
    File.Move(tmp, doc, overwrite: true);
    return 0;
}
