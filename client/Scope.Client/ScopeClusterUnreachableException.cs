namespace Scope.Client;

/// <summary>The cluster could not be reached through any gateway.</summary>
public sealed class ScopeClusterUnreachableException : Exception
{
    /// <summary>Makes one.</summary>
    public ScopeClusterUnreachableException()
    {
    }

    /// <summary>Makes one.</summary>
    public ScopeClusterUnreachableException(string message)
        : base(message)
    {
    }

    /// <summary>Makes one.</summary>
    public ScopeClusterUnreachableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
