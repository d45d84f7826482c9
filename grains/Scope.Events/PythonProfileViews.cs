namespace Scope.Events;

/// <summary>A frame of a <see cref="PythonProfile"/>: a function and its file.</summary>
/// <param name="Function">The code object's qualified name, or "0x…" (its address) when no python_code record named it.</param>
/// <param name="File">Its file; null when unnamed.</param>
public readonly record struct PythonFrameName(string Function, string? File)
{
    /// <summary>"function (file)", or the function alone when the file is not known: a frame's name in the tree and folded stacks.</summary>
    public string Text => File is null ? Function : $"{Function} ({File})";
}

/// <summary>What a <see cref="PythonProfile"/> knows, at the time it was asked.</summary>
/// <param name="Samples">Samples with Python frames in the profile.</param>
/// <param name="NoPythonSamples">Samples of a thread not running Python.</param>
/// <param name="DeepSamples">Samples deeper than 64 frames: they hang under a "[truncated]" frame.</param>
/// <param name="DroppedSamples">Samples left out because the tree was full.</param>
/// <param name="Top">Functions by self samples, then inclusive samples (then function and file).</param>
/// <param name="Tree">The call tree: an "all" root, then outermost frames, down to the innermost.</param>
/// <param name="Folded">Folded stacks ("outer;…;inner COUNT"), most samples first, then by text.</param>
public sealed record PythonProfileView(
    long Samples,
    long NoPythonSamples,
    long DeepSamples,
    long DroppedSamples,
    IReadOnlyList<PythonProfileFunction> Top,
    PythonProfileNode Tree,
    IReadOnlyList<string> Folded);

/// <summary>One function of a profile.</summary>
/// <param name="Function">The function.</param>
/// <param name="File">Its file; null when unnamed.</param>
/// <param name="Self">Samples with it innermost.</param>
/// <param name="Inclusive">Samples with it anywhere on the stack, each counted once however often it recurs.</param>
/// <param name="Lines">Its hottest lines by self samples (then by line); line 0 is "not known".</param>
public sealed record PythonProfileFunction(string Function, string? File, long Self, long Inclusive, IReadOnlyList<PythonProfileLine> Lines);

/// <summary>Self samples of one line of a function.</summary>
/// <param name="Line">The line; 0 when the collector could not tell.</param>
/// <param name="Self">Samples with this line executing in the innermost frame.</param>
public sealed record PythonProfileLine(uint Line, long Self);

/// <summary>A node of the call tree.</summary>
/// <param name="Name">"function (file)" (see <see cref="PythonFrameName.Text"/>), "all" at the root.</param>
/// <param name="Self">Samples that ended here.</param>
/// <param name="Inclusive">Samples that passed through here.</param>
/// <param name="Children">Callees, most inclusive samples first, then by name.</param>
public sealed record PythonProfileNode(string Name, long Self, long Inclusive, IReadOnlyList<PythonProfileNode> Children);

/// <summary>Exact calls of one function, as the interpreter's USDT probes reported them.</summary>
/// <param name="Function">The function's name.</param>
/// <param name="File">Its file.</param>
/// <param name="Count">Calls.</param>
/// <param name="TotalNs">Their summed duration (saturating).</param>
/// <param name="MaxNs">The longest.</param>
/// <param name="MeanNs">TotalNs / Count, rounded down.</param>
public sealed record PythonCallTotals(string Function, string File, long Count, ulong TotalNs, ulong MaxNs, ulong MeanNs);
