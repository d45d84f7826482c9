using System.Globalization;
using System.Text.Json;

namespace Scope.Timeline.Tests;

/// <summary>A JSON trace parsed by System.Text.Json, with ts and dur kept as the exact text the writer wrote.</summary>
internal sealed class JsonTrace : IDisposable
{
    private readonly JsonDocument _document;

    public JsonTrace(byte[] json)
    {
        _document = JsonDocument.Parse(json);
        JsonElement root = _document.RootElement;
        Assert.Equal("ns", root.GetProperty("displayTimeUnit").GetString());
        Events = [.. root.GetProperty("traceEvents").EnumerateArray()];
    }

    public List<JsonElement> Events { get; }

    public IEnumerable<JsonElement> Phase(string ph) => Events.Where(e => e.GetProperty("ph").GetString() == ph);

    public static string Text(JsonElement e, string property) => e.GetProperty(property).GetRawText();

    public static string Name(JsonElement e) => e.GetProperty("name").GetString()!;

    /// <summary>A microsecond value as written, back to ns (exactly: the text is a decimal).</summary>
    public static ulong Nanoseconds(JsonElement e, string property)
    {
        string text = Text(e, property);
        Assert.False(text.Contains('e', StringComparison.OrdinalIgnoreCase), $"{text} is not a plain decimal");
        return (ulong)(decimal.Parse(text, CultureInfo.InvariantCulture) * 1000m);
    }

    /// <summary>Checks that the X slices of each thread nest: sorted by start then longer first, each one inside the one still open.</summary>
    public void AssertNested()
    {
        foreach (var thread in Phase("X").GroupBy(e => (e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32())))
        {
            var open = new Stack<(ulong Start, ulong End, string Name)>();
            foreach (var (start, end, name) in thread
                .Select(e => (Start: Nanoseconds(e, "ts"), End: Nanoseconds(e, "ts") + Nanoseconds(e, "dur"), Name: Name(e)))
                .OrderBy(s => s.Start).ThenByDescending(s => s.End))
            {
                while (open.Count > 0 && open.Peek().End <= start)
                    open.Pop();
                if (open.Count > 0)
                    Assert.True(end <= open.Peek().End, $"{name} [{start},{end}] sticks out of {open.Peek().Name} [{open.Peek().Start},{open.Peek().End}] on {thread.Key}");
                open.Push((start, end, name));
            }
        }
    }

    public void Dispose() => _document.Dispose();
}
