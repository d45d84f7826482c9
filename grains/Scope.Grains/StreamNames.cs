namespace Scope.Grains;

/// <summary>Names the stream subscribers (persistence, export) and the grains that publish to them agree on.</summary>
public static class StreamNames
{
    /// <summary>The stream provider.</summary>
    public const string Provider = "scope";

    /// <summary>Every batch a machine's collectors send, keyed by machine id.</summary>
    public const string Batches = "batches";
}
