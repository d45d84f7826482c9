namespace Scope.Silo.Auth;

/// <summary>A refresh token just issued: the opaque token (shown once, stored only as its SHA-256) and its family.</summary>
public sealed record IssuedRefreshToken(string Token, Guid FamilyId, DateTimeOffset FamilyExpiresAt);

public enum RefreshOutcome
{
    /// <summary>The token was current: it is now used, and <see cref="RefreshResult.Next"/> replaces it.</summary>
    Rotated,

    /// <summary>No such token (never issued, or deleted after its family expired).</summary>
    Unknown,

    /// <summary>The token had been used already: someone else holds a copy, so its whole family is now revoked.</summary>
    Reused,

    /// <summary>The token's family was revoked (logout, reuse, user disabled); the family is revoked still.</summary>
    Revoked,

    /// <summary>The family's absolute lifetime is over: log in again.</summary>
    Expired,

    /// <summary>The user is disabled: the family is now revoked.</summary>
    Disabled,
}

/// <summary>The answer to a refresh: for <see cref="RefreshOutcome.Rotated"/>, the user and the next token.</summary>
public sealed record RefreshResult(RefreshOutcome Outcome, UserRecord? User = null, IssuedRefreshToken? Next = null);
