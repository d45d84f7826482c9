namespace Scope.Abstractions;

// What a process grain says about the process's Python code: the views of Scope.Events.PythonProfile
// (plain C#, with no Orleans attributes), mirrored field for field.

/// <param name="Samples">Samples with Python frames.</param>
/// <param name="NoPythonSamples">Samples of a thread that was not running Python.</param>
/// <param name="DeepSamples">Samples deeper than 64 frames (under a "[truncated]" frame).</param>
/// <param name="DroppedSamples">Samples left out because the tree reached its size bound.</param>
/// <param name="Calls">Exact calls (USDT) in the profile.</param>
/// <param name="HistoryComplete">False when the records stored before this grain activated could not be read.</param>
[GenerateSerializer, Immutable]
public sealed record PythonProfileInfo(
    [property: Id(0)] long Samples,
    [property: Id(1)] long NoPythonSamples,
    [property: Id(2)] long DeepSamples,
    [property: Id(3)] long DroppedSamples,
    [property: Id(4)] IReadOnlyList<PythonFunctionInfo> Top,
    [property: Id(5)] PythonTreeInfo Tree,
    [property: Id(6)] IReadOnlyList<string> Folded,
    [property: Id(7)] long Calls,
    [property: Id(8)] bool HistoryComplete);

[GenerateSerializer, Immutable]
public sealed record PythonFunctionInfo(
    [property: Id(0)] string Function,
    [property: Id(1)] string? File,
    [property: Id(2)] long Self,
    [property: Id(3)] long Inclusive,
    [property: Id(4)] IReadOnlyList<PythonLineInfo> Lines);

[GenerateSerializer, Immutable]
public sealed record PythonLineInfo([property: Id(0)] uint Line, [property: Id(1)] long Self);

[GenerateSerializer, Immutable]
public sealed record PythonTreeInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] long Self,
    [property: Id(2)] long Inclusive,
    [property: Id(3)] IReadOnlyList<PythonTreeInfo> Children);

[GenerateSerializer, Immutable]
public sealed record PythonCallInfo(
    [property: Id(0)] string Function,
    [property: Id(1)] string File,
    [property: Id(2)] long Count,
    [property: Id(3)] ulong TotalNs,
    [property: Id(4)] ulong MaxNs,
    [property: Id(5)] ulong MeanNs);
