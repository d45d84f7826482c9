using System.Globalization;
using System.Text;

namespace Scope.Events;

public sealed partial class PythonProfile
{
    /// <summary>The root's name in <see cref="Tree"/>.</summary>
    public const string RootName = "all";

    /// <summary>The frame above the stacks whose outermost frames were cut (deeper than 64 frames).</summary>
    public const string TruncatedName = "[truncated]";

    /// <summary>Everything at once (one walk of the tree).</summary>
    /// <param name="top">The most functions in <see cref="PythonProfileView.Top"/>.</param>
    /// <param name="lines">The most lines per function.</param>
    public PythonProfileView View(int top = 100, int lines = 10)
    {
        var merged = Merge();
        return new PythonProfileView(
            Samples, NoPythonSamples, DeepSamples, DroppedSamples, TopOf(merged, top, lines), ToNode(merged), FoldedOf(merged));
    }

    /// <summary>The call tree: an "all" root, then outermost frames, down to the innermost.</summary>
    public PythonProfileNode Tree() => ToNode(Merge());

    /// <summary>Folded stacks (Brendan Gregg's format: outermost first, ';' between frames, a space and the count), most samples first, then by text.</summary>
    public IReadOnlyList<string> Folded() => FoldedOf(Merge());

    /// <summary>Functions by self samples, then inclusive samples, with their hottest lines.</summary>
    public IReadOnlyList<PythonProfileFunction> Top(int limit = 100, int lines = 10) => TopOf(Merge(), limit, lines);

    /// <summary>The exact calls by function and file, the most total time first (then count, function, file).</summary>
    public IReadOnlyList<PythonCallTotals> CallTotals() =>
        [.. _calls
            .Select(c => new PythonCallTotals(c.Key.Function, c.Key.File, c.Value.Count, c.Value.TotalNs, c.Value.MaxNs, c.Value.TotalNs / (ulong)c.Value.Count))
            .OrderByDescending(c => c.TotalNs)
            .ThenByDescending(c => c.Count)
            .ThenBy(c => c.Function, StringComparer.Ordinal)
            .ThenBy(c => c.File, StringComparer.Ordinal)];

    /// <summary>The name of a code object: its python_code record's, or its address.</summary>
    public PythonFrameName NameOf(ulong code) =>
        _codes.TryGetValue(code, out var n) && n.Function.Length > 0
            ? new PythonFrameName(n.Function, n.File.Length > 0 ? n.File : null)
            : new PythonFrameName(string.Create(CultureInfo.InvariantCulture, $"0x{code:x}"), null);

    // The tree by name: code objects with the same name and file become one frame.
    private Merged Merge()
    {
        var root = new Merged(new PythonFrameName(RootName, null), synthetic: true) { Inclusive = _root.Inclusive + _deepRoot.Inclusive };
        MergeInto(_root, root);
        if (_deepRoot.Inclusive > 0)
        {
            var deep = root.Child(new PythonFrameName(TruncatedName, null), synthetic: true);
            deep.Inclusive += _deepRoot.Inclusive;
            MergeInto(_deepRoot, deep);
        }

        return root;
    }

    private void MergeInto(Node from, Merged to)
    {
        if (from.Children is null)
            return;
        foreach (var c in from.Children.Values)
        {
            var m = to.Child(NameOf(c.Code), synthetic: false);
            m.Self += c.Self;
            m.Inclusive += c.Inclusive;
            MergeInto(c, m);
        }
    }

    private static PythonProfileNode ToNode(Merged m) =>
        new(m.Name.Text, m.Self, m.Inclusive, [.. m.Ordered().Select(ToNode)]);

    private static List<string> FoldedOf(Merged root)
    {
        var lines = new List<(string Text, long Count)>();
        var path = new List<string>();
        foreach (var c in root.Ordered())
            Fold(c, path, lines);
        return [.. lines
            .OrderByDescending(l => l.Count)
            .ThenBy(l => l.Text, StringComparer.Ordinal)
            .Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Text} {l.Count}"))];
    }

    private static void Fold(Merged m, List<string> path, List<(string Text, long Count)> lines)
    {
        path.Add(FoldedFrame(m.Name.Text));
        if (m.Self > 0)
            lines.Add((string.Join(';', path), m.Self));
        foreach (var c in m.Ordered())
            Fold(c, path, lines);
        path.RemoveAt(path.Count - 1);
    }

    // ';' separates frames and a line ends the stack: neither may appear inside one.
    private static string FoldedFrame(string text)
    {
        if (text.AsSpan().IndexOfAny(";\r\n") < 0)
            return text;
        var b = new StringBuilder(text);
        b.Replace(';', ':').Replace('\r', ' ').Replace('\n', ' ');
        return b.ToString();
    }

    private List<PythonProfileFunction> TopOf(Merged root, int limit, int lines)
    {
        var totals = new Dictionary<PythonFrameName, (long Self, long Inclusive)>();
        var onPath = new Dictionary<PythonFrameName, int>();
        foreach (var c in root.Children.Values)
            Count(c, totals, onPath);

        var byLine = new Dictionary<PythonFrameName, Dictionary<uint, long>>();
        foreach (var ((code, line), n) in _lines)
        {
            var name = NameOf(code);
            if (!byLine.TryGetValue(name, out var l))
                byLine[name] = l = [];
            l[line] = l.GetValueOrDefault(line) + n;
        }

        return [.. totals
            .OrderByDescending(t => t.Value.Self)
            .ThenByDescending(t => t.Value.Inclusive)
            .ThenBy(t => t.Key.Function, StringComparer.Ordinal)
            .ThenBy(t => t.Key.File, StringComparer.Ordinal)
            .Take(Math.Max(0, limit))
            .Select(t => new PythonProfileFunction(
                t.Key.Function, t.Key.File, t.Value.Self, t.Value.Inclusive,
                byLine.TryGetValue(t.Key, out var l)
                    ? [.. l.Where(x => x.Value > 0).OrderByDescending(x => x.Value).ThenBy(x => x.Key).Take(Math.Max(0, lines)).Select(x => new PythonProfileLine(x.Key, x.Value))]
                    : []))];
    }

    // Inclusive counts a function once per sample: only at its outermost node on each path.
    private static void Count(Merged m, Dictionary<PythonFrameName, (long Self, long Inclusive)> totals, Dictionary<PythonFrameName, int> onPath)
    {
        if (!m.Synthetic)
        {
            int seen = onPath.GetValueOrDefault(m.Name);
            var t = totals.GetValueOrDefault(m.Name);
            totals[m.Name] = (t.Self + m.Self, t.Inclusive + (seen == 0 ? m.Inclusive : 0));
            onPath[m.Name] = seen + 1;
        }

        foreach (var c in m.Children.Values)
            Count(c, totals, onPath);
        if (!m.Synthetic)
            onPath[m.Name]--;
    }

    private sealed class Merged(PythonFrameName name, bool synthetic)
    {
        public PythonFrameName Name { get; } = name;

        public bool Synthetic { get; } = synthetic;

        public long Self { get; set; }

        public long Inclusive { get; set; }

        public Dictionary<PythonFrameName, Merged> Children { get; } = [];

        public Merged Child(PythonFrameName name, bool synthetic)
        {
            if (!Children.TryGetValue(name, out var c))
                Children[name] = c = new Merged(name, synthetic);
            return c;
        }

        public IEnumerable<Merged> Ordered() =>
            Children.Values.OrderByDescending(c => c.Inclusive).ThenBy(c => c.Name.Text, StringComparer.Ordinal);
    }
}
