using Scope.Abstractions;

namespace Scope.Grains;

/// <summary>
/// The Python side of a process grain: queries of its <see cref="Scope.Events.PythonProfile"/>, kept
/// with the rest of the grain's history (ProcessGrain.History.cs) from every sample, code name and
/// exact call of the process.
/// </summary>
internal sealed partial class ProcessGrain
{
    public async Task<PythonProfileInfo?> GetPythonProfile(int top, int lines)
    {
        await Ready();
        return _profile is { } p ? PythonInfo.Of(p.View(top, lines), p.Calls, _historyComplete) : null;
    }

    public async Task<IReadOnlyList<PythonCallInfo>?> GetPythonCalls(int limit)
    {
        await Ready();
        return _profile is { } p ? [.. p.CallTotals().Take(limit).Select(PythonInfo.Of)] : null;
    }
}
