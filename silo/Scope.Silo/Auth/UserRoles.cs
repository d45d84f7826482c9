namespace Scope.Silo.Auth;

/// <summary>The roles a user can hold, as stored in scope.users.role and carried in the token's <c>role</c> claim.</summary>
public static class UserRoles
{
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Viewer = "viewer";

    public static IReadOnlyList<string> All { get; } = [Admin, Operator, Viewer];

    public static bool IsValid(string? role) => role is Admin or Operator or Viewer;
}
