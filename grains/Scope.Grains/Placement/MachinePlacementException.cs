namespace Scope.Grains.Placement;

/// <summary>
/// A machine-pinned grain has no silo it may live on (its machine's edge is not in the cluster), or an
/// activation found itself on a silo that does not host its machine. Never retried elsewhere: a pinned
/// grain on the wrong silo would split one machine's state in two.
/// </summary>
[GenerateSerializer, Alias("Scope.MachinePlacementException")]
public sealed class MachinePlacementException : Exception
{
    public MachinePlacementException()
    {
    }

    public MachinePlacementException(string message) : base(message)
    {
    }

    public MachinePlacementException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>A cluster-wide grain found no core (or all) silo to live on: an edge never takes it.</summary>
[GenerateSerializer, Alias("Scope.NoCoreSiloException")]
public sealed class NoCoreSiloException : Exception
{
    public NoCoreSiloException()
    {
    }

    public NoCoreSiloException(string message) : base(message)
    {
    }

    public NoCoreSiloException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
