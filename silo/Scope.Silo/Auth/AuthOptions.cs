namespace Scope.Silo.Auth;

/// <summary>Configuration section <c>Scope:Auth</c> (docs/auth.md).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Scope:Auth";

    /// <summary>Smallest signing key accepted: HS256 wants at least as many bytes as its output.</summary>
    public const int MinKeyBytes = 32;

    /// <summary>The <c>iss</c> of the access tokens this cluster issues and accepts.</summary>
    public string Issuer { get; set; } = "scope";

    /// <summary>The <c>aud</c> of the access tokens this cluster issues and accepts.</summary>
    public string Audience { get; set; } = "scope-api";

    /// <summary>Base64 HS256 key (at least 32 bytes). Empty, with no file either: the key generated in scope.auth_keys.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>A file holding the base64 key, so that it need not sit in the configuration.</summary>
    public string SigningKeyFile { get; set; } = "";

    /// <summary>Lifetime of an access token (minutes, 1 to 60): how long a disabled user's last token still works.</summary>
    public int AccessTokenMinutes { get; set; } = 10;

    /// <summary>Absolute lifetime of a login's refresh-token family (days, 1 to 90): refreshing never extends it.</summary>
    public int RefreshTokenDays { get; set; } = 7;

    /// <summary>Leeway for clocks that disagree when checking exp and nbf (seconds, 0 to 30).</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>True: anyone may create a viewer account with POST /api/v1/auth/register.</summary>
    public bool AllowRegistration { get; set; }

    /// <summary>Failed logins per username, and per client address, within a sliding minute before logins are refused with 429.</summary>
    public int LoginFailuresPerMinute { get; set; } = 10;

    /// <summary>True when the key comes from the configuration rather than the database.</summary>
    internal bool HasConfiguredKey => SigningKey.Length > 0 || SigningKeyFile.Length > 0;

    /// <summary>The configured key's bytes; only meaningful once <see cref="AuthOptionsValidator"/> has passed.</summary>
    internal byte[] ReadConfiguredKey()
    {
        var text = SigningKey.Length > 0 ? SigningKey : File.ReadAllText(SigningKeyFile);
        return Convert.FromBase64String(text.Trim());
    }
}
