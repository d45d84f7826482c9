using System.Text.Json.Serialization;

namespace Scope.Silo.Auth;

// Request and answer bodies of the auth and user endpoints. Names are spelled out so that the
// contract does not hang on the API's naming policy.

public sealed record LoginRequest(
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("password")] string? Password);

/// <summary>The body of /auth/refresh and /auth/logout.</summary>
public sealed record RefreshRequest([property: JsonPropertyName("refresh_token")] string? RefreshToken);

public sealed record CreateUserRequest(
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("password")] string? Password,
    [property: JsonPropertyName("role")] string? Role);

public sealed record UpdateUserRequest(
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("disabled")] bool? Disabled,
    [property: JsonPropertyName("password")] string? Password);

public sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("refresh_token")] string RefreshToken,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("role")] string Role);

public sealed record UserBody(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("username")] string Username,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("disabled")] bool Disabled,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTimeOffset UpdatedAt)
{
    public static UserBody From(UserRecord u)
    {
        ArgumentNullException.ThrowIfNull(u);
        return new(u.Id, u.Username, u.Role, u.Disabled, u.CreatedAt, u.UpdatedAt);
    }
}

public sealed record MeBody(
    [property: JsonPropertyName("username")] string Username,
    [property: JsonPropertyName("role")] string Role);
