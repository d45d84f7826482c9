namespace Scope.Timeline;

/// <summary>
/// Where a thread's Python stack was seen: a CPU sample (an instant) or the stack taken at a CUDA call
/// (the call's whole span). Code objects outermost first, the order in which frames nest.
/// </summary>
internal readonly record struct PythonPoint(ulong Start, ulong End, ulong[] Codes, long Seq)
{
    public static int Compare(PythonPoint a, PythonPoint b)
    {
        int c = a.Start.CompareTo(b.Start);
        if (c == 0)
            c = a.End.CompareTo(b.End);
        return c != 0 ? c : a.Seq.CompareTo(b.Seq);
    }
}
