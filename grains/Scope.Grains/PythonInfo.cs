using Scope.Abstractions;
using Scope.Events;

namespace Scope.Grains;

/// <summary>The profile's views as the grain messages that mirror them (Scope.Events carries no Orleans attributes).</summary>
public static class PythonInfo
{
    public static PythonProfileInfo Of(PythonProfileView v, long calls, bool historyComplete) => new(
        v.Samples, v.NoPythonSamples, v.DeepSamples, v.DroppedSamples,
        [.. v.Top.Select(f => new PythonFunctionInfo(f.Function, f.File, f.Self, f.Inclusive, [.. f.Lines.Select(l => new PythonLineInfo(l.Line, l.Self))]))],
        Of(v.Tree), v.Folded, calls, historyComplete);

    public static PythonTreeInfo Of(PythonProfileNode n) => new(n.Name, n.Self, n.Inclusive, [.. n.Children.Select(Of)]);

    public static PythonCallInfo Of(PythonCallTotals c) => new(c.Function, c.File, c.Count, c.TotalNs, c.MaxNs, c.MeanNs);
}
