using Scope.Abstractions;

namespace Scope.Client;

/// <summary>A task spec the cluster refused, with each field and why. Nothing was started.</summary>
public sealed class ScopeTaskRejectedException : Exception
{
    /// <summary>Makes one.</summary>
    public ScopeTaskRejectedException()
        : this([])
    {
    }

    /// <summary>Makes one.</summary>
    public ScopeTaskRejectedException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Makes one.</summary>
    public ScopeTaskRejectedException(string message, Exception inner)
        : base(message, inner)
    {
        Errors = [];
    }

    /// <summary>Makes one.</summary>
    public ScopeTaskRejectedException(IReadOnlyList<TaskSpecError> errors)
        : base("the task was refused: " + string.Join("; ", (errors ?? []).Select(e => $"{e.Field}: {e.Message}")))
    {
        Errors = errors ?? [];
    }

    /// <summary>The fields refused and why.</summary>
    public IReadOnlyList<TaskSpecError> Errors { get; }
}
