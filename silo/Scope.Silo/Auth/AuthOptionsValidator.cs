using Microsoft.Extensions.Options;

namespace Scope.Silo.Auth;

/// <summary>Checks <c>Scope:Auth</c> at start-up, naming each bad key, so that a silo never serves with a weak or unreadable key.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Issuer))
            errors.Add("Scope:Auth:Issuer must not be empty");
        if (string.IsNullOrWhiteSpace(options.Audience))
            errors.Add("Scope:Auth:Audience must not be empty");
        if (options.AccessTokenMinutes is < 1 or > 60)
            errors.Add("Scope:Auth:AccessTokenMinutes must be 1 to 60");
        if (options.RefreshTokenDays is < 1 or > 90)
            errors.Add("Scope:Auth:RefreshTokenDays must be 1 to 90");
        if (options.ClockSkewSeconds is < 0 or > 30)
            errors.Add("Scope:Auth:ClockSkewSeconds must be 0 to 30");
        if (options.LoginFailuresPerMinute is < 1 or > 10_000)
            errors.Add("Scope:Auth:LoginFailuresPerMinute must be 1 to 10000");
        if (KeyError(options) is { } keyError)
            errors.Add(keyError);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static string? KeyError(AuthOptions o)
    {
        if (o.SigningKey.Length > 0 && o.SigningKeyFile.Length > 0)
            return "Scope:Auth:SigningKey and Scope:Auth:SigningKeyFile are both set: set one";
        string text, source;
        if (o.SigningKey.Length > 0)
        {
            (text, source) = (o.SigningKey, "Scope:Auth:SigningKey");
        }
        else if (o.SigningKeyFile.Length > 0)
        {
            source = $"Scope:Auth:SigningKeyFile ({o.SigningKeyFile})";
            try
            {
                text = File.ReadAllText(o.SigningKeyFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                return $"{source} cannot be read: {e.Message}";
            }
        }
        else
        {
            return null;
        }
        byte[] key;
        try
        {
            key = Convert.FromBase64String(text.Trim());
        }
        catch (FormatException)
        {
            return $"{source} must be base64 (for example: openssl rand -base64 32)";
        }
        return key.Length < AuthOptions.MinKeyBytes
            ? $"{source} holds {key.Length} bytes; an HS256 key needs at least {AuthOptions.MinKeyBytes}"
            : null;
    }
}
