using System.Globalization;
using System.Text.Json.Nodes;

namespace Scope.Events.Tests;

/// <summary>The golden vectors of tests/golden/v1, written by tests/golden/make_vectors.py.</summary>
internal static class Golden
{
    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);

    public static string RepoRoot => s_repoRoot.Value;

    public static string Dir => Path.Combine(RepoRoot, "tests", "golden", "v1");

    /// <summary>The record vector names (NAME.hex with a NAME.json beside it).</summary>
    public static IEnumerable<string> RecordNames =>
        Directory.EnumerateFiles(Dir, "*.hex")
            .Select(p => Path.GetFileNameWithoutExtension(p))
            .Where(n => File.Exists(Path.Combine(Dir, n + ".json")))
            .Order(StringComparer.Ordinal);

    public static byte[] RecordBytes(string name) => ReadHex(Path.Combine(Dir, name + ".hex"));

    public static JsonNode RecordJson(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, name + ".json")))!;

    public static byte[] Frame() => ReadHex(Path.Combine(Dir, "batch.frame"));

    public static JsonObject FrameJson() => JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, "batch.frame.json")))!.AsObject();

    public static byte[] Secret() => System.Text.Encoding.UTF8.GetBytes((string)FrameJson()["secret"]!);

    /// <summary>Hex text, bytes separated by whitespace, as make_vectors.py writes it.</summary>
    public static byte[] ReadHex(string path) =>
        File.ReadAllText(path)
            .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Select(b => byte.Parse(b, NumberStyles.HexNumber, CultureInfo.InvariantCulture))
            .ToArray();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Scope.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Scope.sln above {AppContext.BaseDirectory}.");
    }
}
