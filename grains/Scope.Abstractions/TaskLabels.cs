namespace Scope.Abstractions;

/// <summary>Filtering tasks by their labels: KEY=VALUE pairs, all of which must match.</summary>
public static class TaskLabels
{
    /// <summary>Parses KEY=VALUE filters (none: an empty filter); false with the reason for the first bad one.</summary>
    public static bool TryParseFilter(IEnumerable<string>? filters, out IReadOnlyDictionary<string, string> labels, out string error)
    {
        var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
        labels = parsed;
        error = "";
        foreach (var f in filters ?? [])
        {
            int eq = f.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                error = $"'{f}' is not KEY=VALUE";
                return false;
            }
            parsed[f[..eq]] = f[(eq + 1)..];
        }
        return true;
    }

    /// <summary>Whether a task's labels hold every pair of the filter.</summary>
    public static bool Match(IReadOnlyDictionary<string, string> taskLabels, IReadOnlyDictionary<string, string> filter)
    {
        ArgumentNullException.ThrowIfNull(taskLabels);
        ArgumentNullException.ThrowIfNull(filter);
        return filter.All(kv => taskLabels.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }
}
