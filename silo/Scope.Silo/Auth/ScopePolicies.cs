namespace Scope.Silo.Auth;

/// <summary>
/// Authorization policies for route groups: <see cref="Viewer"/> reads, <see cref="Operator"/> also
/// starts and stops monitoring, <see cref="Admin"/> also manages users (docs/auth.md).
/// </summary>
public static class ScopePolicies
{
    /// <summary>Any signed-in user: admin, operator or viewer.</summary>
    public const string Viewer = "scope.viewer";

    /// <summary>Operators and admins.</summary>
    public const string Operator = "scope.operator";

    /// <summary>Admins only.</summary>
    public const string Admin = "scope.admin";
}
