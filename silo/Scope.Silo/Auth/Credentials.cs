namespace Scope.Silo.Auth;

/// <summary>What a username and a password must look like; the database checks the username too.</summary>
public static class Credentials
{
    public const int MaxUsernameLength = 64;
    public const int MinPasswordLength = 12;

    /// <summary>Argon2 hashes whatever it gets: a bound keeps a huge "password" from costing more than a normal one.</summary>
    public const int MaxPasswordLength = 256;

    public static bool IsValidUsername(string? name, out string reason)
    {
        reason = "";
        if (string.IsNullOrEmpty(name) || name.Length > MaxUsernameLength)
            reason = $"must be 1 to {MaxUsernameLength} characters";
        else if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            reason = "may hold only letters A-Z and a-z, digits, '.', '_' and '-'";
        return reason.Length == 0;
    }

    /// <summary>For a new password: long enough to resist guessing, short enough to hash cheaply.</summary>
    public static bool IsValidNewPassword(string? password, out string reason)
    {
        reason = "";
        if (password is null || password.Length < MinPasswordLength)
            reason = $"must be at least {MinPasswordLength} characters";
        else if (password.Length > MaxPasswordLength)
            reason = $"must be at most {MaxPasswordLength} characters";
        return reason.Length == 0;
    }
}
