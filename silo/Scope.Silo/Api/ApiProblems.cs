namespace Scope.Silo.Api;

/// <summary>RFC 7807 answers for bad parameters: which parameter, and why.</summary>
internal static class ApiProblems
{
    public static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Invalid(string parameter, string reason) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [parameter] = [reason] },
            title: "Invalid request parameter",
            detail: $"{parameter}: {reason}");

    public static bool TryLimit(int? limit, int max, out int value, out string reason)
    {
        value = limit ?? 100;
        reason = "";
        if (value is >= 1 && value <= max)
            return true;
        reason = $"must be between 1 and {max}";
        return false;
    }

    public static bool TryRange(DateTimeOffset? from, DateTimeOffset? to, out string reason)
    {
        reason = from is { } f && to is { } t && f > t ? "from must not be after to" : "";
        return reason.Length == 0;
    }
}
