namespace Scope.Silo.Auth;

// What UserStore's changes take and answer.

/// <summary>What PATCH /api/v1/users/{username} may change; null leaves a field as it is.</summary>
public sealed record UserChange(string? Role = null, bool? Disabled = null, string? PasswordHash = null);

public enum UserUpdateOutcome
{
    Updated,
    NotFound,

    /// <summary>The change would leave no enabled admin: refused, nothing changed.</summary>
    LastAdmin,
}

public sealed record UserUpdate(UserUpdateOutcome Outcome, UserRecord? User);

public enum AdminSeedOutcome
{
    /// <summary>An enabled admin already existed (perhaps seeded by another silo a moment ago): nothing changed.</summary>
    AlreadyPresent,
    Created,

    /// <summary>User <c>admin</c> existed (disabled or demoted) and was made an enabled admin with the new password.</summary>
    Reset,
}
