namespace Scope.Timeline;

/// <summary>What a counter track counts, for viewers that format values.</summary>
public enum TraceCounterUnit
{
    /// <summary>A plain number (a rate, say).</summary>
    None,

    /// <summary>A count of things.</summary>
    Count,

    /// <summary>Bytes.</summary>
    Bytes,
}
