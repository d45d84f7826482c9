namespace Scope.Silo.Auth;

/// <summary>One row of scope.users.</summary>
public sealed record UserRecord(
    long Id, string Username, string PasswordHash, string Role, bool Disabled, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
