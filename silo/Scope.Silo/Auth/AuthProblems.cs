using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Scope.Silo.Auth;

/// <summary>RFC 7807 answers of the auth and user endpoints, and the reading of their bodies.</summary>
internal static class AuthProblems
{
    // Unknown fields are refused: a misspelt "disable" must not silently change nothing.
    private static readonly JsonSerializerOptions BodyJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static ValidationProblem Invalid(string field, string reason) => Invalid(new Dictionary<string, string[]> { [field] = [reason] });

    public static ValidationProblem Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "Invalid request",
            detail: string.Join("; ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))));

    public static ProblemHttpResult Unauthorized(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict");

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static ProblemHttpResult TooManyRequests(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests");

    /// <summary>The JSON object in the request's body, or the 400 that says what is wrong with it.</summary>
    public static async Task<(T? Body, ValidationProblem? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(request.Body, BodyJson, cancellationToken).ConfigureAwait(false);
            return body is null ? (null, Invalid("body", "must be a JSON object")) : (body, null);
        }
        catch (JsonException e)
        {
            // The path names the field ("$.disabled"); the message says what was wrong with it.
            var field = e.Path is { Length: > 2 } path ? path[2..] : "body";
            return (null, Invalid(field, e.Path is null or "$" ? "must be a JSON object" : e.Message));
        }
    }

    /// <summary>Adds <paramref name="reason"/> to <paramref name="errors"/> under <paramref name="field"/> unless <paramref name="ok"/>.</summary>
    public static void Check(Dictionary<string, string[]> errors, string field, bool ok, string reason)
    {
        if (!ok)
            errors[field] = [reason];
    }
}
