using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Scope.Silo.Auth;

/// <summary>Signs access tokens: HS256 JWTs with iss, aud, sub (the user id), name, role, jti, iat, nbf and exp.</summary>
public sealed class AccessTokenIssuer
{
    /// <summary>Claim names in the token; validation maps nothing, so they are also the names the API reads.</summary>
    public const string NameClaim = "name";
    public const string RoleClaim = "role";

    private readonly JsonWebTokenHandler _handler = new();
    private readonly SigningKeyProvider _keys;
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;

    public AccessTokenIssuer(SigningKeyProvider keys, IOptions<AuthOptions> options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = keys;
        _options = options.Value;
        _time = time ?? TimeProvider.System;
    }

    public TimeSpan Lifetime => TimeSpan.FromMinutes(_options.AccessTokenMinutes);

    public string Issue(UserRecord user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var now = _time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + Lifetime,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [NameClaim] = user.Username,
                [RoleClaim] = user.Role,
                [JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N"),
            },
            SigningCredentials = new SigningCredentials(_keys.Required, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>What a request's bearer token must satisfy; <see cref="AuthHosting"/> gives it to JwtBearer.</summary>
    internal static TokenValidationParameters ValidationParameters(AuthOptions options, SigningKeyProvider keys) => new()
    {
        ValidIssuer = options.Issuer,
        ValidAudience = options.Audience,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        // HS256 only: no alg:none, and no algorithm a forger could pick to reinterpret the key.
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ClockSkew = TimeSpan.FromSeconds(options.ClockSkewSeconds),
        NameClaimType = NameClaim,
        RoleClaimType = RoleClaim,
        // Read at each validation: the key is loaded at start-up, after JwtBearer's options may have been built.
        IssuerSigningKeyResolver = (_, _, _, _) => keys.Current is { } key ? [key] : [],
    };
}
