using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Scope.Silo.Auth;

namespace Scope.Storage.Tests;

/// <summary>The parts of issue 11 without a database: the login rate limiter, credential rules and the options' checks.</summary>
public sealed class AuthLimitsTests
{
    private static LoginRateLimiter Limiter(AuthTestClock clock, int perMinute = 10) =>
        new(Options.Create(new AuthOptions { LoginFailuresPerMinute = perMinute }), clock);

    [Fact]
    public void Ten_failures_for_a_user_hold_the_eleventh_attempt_until_the_first_leaves_the_minute()
    {
        var clock = new AuthTestClock(DateTimeOffset.UtcNow);
        var limiter = Limiter(clock);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(TimeSpan.Zero, limiter.RetryAfter("Ada", $"10.0.0.{i}"));
            limiter.RecordFailure("Ada", $"10.0.0.{i}");
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        // Any case of the name, from any address.
        Assert.Equal(TimeSpan.FromSeconds(50), limiter.RetryAfter("ada", "10.9.9.9"));
        Assert.Equal(TimeSpan.Zero, limiter.RetryAfter("grace", "10.9.9.9"));
        clock.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(TimeSpan.Zero, limiter.RetryAfter("Ada", "10.9.9.9"));
    }

    [Fact]
    public void Ten_failures_from_an_address_hold_every_user_there_and_a_success_does_not_reset_the_address()
    {
        var clock = new AuthTestClock(DateTimeOffset.UtcNow);
        var limiter = Limiter(clock);
        for (int i = 0; i < 9; i++)
            limiter.RecordFailure($"user{i}", "192.0.2.1");
        limiter.RecordSuccess("user0");
        Assert.Equal(TimeSpan.Zero, limiter.RetryAfter("someone", "192.0.2.1"));
        limiter.RecordFailure("user9", "192.0.2.1");
        Assert.True(limiter.RetryAfter("someone", "192.0.2.1") > TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, limiter.RetryAfter("someone", "192.0.2.2"));
    }

    [Fact]
    public void A_success_forgives_the_usernames_failures()
    {
        var clock = new AuthTestClock(DateTimeOffset.UtcNow);
        var limiter = Limiter(clock, perMinute: 3);
        for (int i = 0; i < 3; i++)
            limiter.RecordFailure("ada", $"a{i}");
        Assert.True(limiter.RetryAfter("ada", "b") > TimeSpan.Zero);
        limiter.RecordSuccess("ADA");
        Assert.Equal(TimeSpan.Zero, limiter.RetryAfter("ada", "b"));
    }

    [Theory]
    [InlineData("admin", true)]
    [InlineData("a.b_c-D9", true)]
    [InlineData("", false)]
    [InlineData("with space", false)]
    [InlineData("émile", false)]
    [InlineData("semi;colon", false)]
    public void Usernames_are_ascii_letters_digits_dot_underscore_and_dash(string name, bool ok) =>
        Assert.Equal(ok, Credentials.IsValidUsername(name, out _));

    [Fact]
    public void Passwords_are_12_to_256_characters()
    {
        Assert.False(Credentials.IsValidNewPassword("short", out var why));
        Assert.Contains("at least 12", why, StringComparison.Ordinal);
        Assert.True(Credentials.IsValidNewPassword(new string('p', 12), out _));
        Assert.True(Credentials.IsValidNewPassword(new string('p', 256), out _));
        Assert.False(Credentials.IsValidNewPassword(new string('p', 257), out why));
        Assert.Contains("at most 256", why, StringComparison.Ordinal);
        Assert.False(Credentials.IsValidNewPassword(null, out _));
    }

    /// <summary>What start-up would say about <paramref name="o"/>, read through the configuration as the silo reads it.</summary>
    private static IReadOnlyList<string> Problems(AuthOptions o)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Scope:Auth:Issuer"] = o.Issuer,
            ["Scope:Auth:SigningKey"] = o.SigningKey,
            ["Scope:Auth:SigningKeyFile"] = o.SigningKeyFile,
            ["Scope:Auth:AccessTokenMinutes"] = o.AccessTokenMinutes.ToString(inv),
            ["Scope:Auth:ClockSkewSeconds"] = o.ClockSkewSeconds.ToString(inv),
            ["Scope:Auth:RefreshTokenDays"] = o.RefreshTokenDays.ToString(inv),
        });
        builder.AddScopeAuth();
        using var host = builder.Build();
        try
        {
            _ = host.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
            return [];
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }
    }

    [Fact]
    public void Bad_options_stop_start_up_naming_the_key()
    {
        Assert.Empty(Problems(new AuthOptions()));
        Assert.Contains("Scope:Auth:AccessTokenMinutes must be 1 to 60", Problems(new AuthOptions { AccessTokenMinutes = 61 }));
        Assert.Contains("Scope:Auth:ClockSkewSeconds must be 0 to 30", Problems(new AuthOptions { ClockSkewSeconds = 31 }));
        Assert.Contains("Scope:Auth:RefreshTokenDays must be 1 to 90", Problems(new AuthOptions { RefreshTokenDays = 0 }));
        Assert.Contains("Scope:Auth:Issuer must not be empty", Problems(new AuthOptions { Issuer = " " }));
        Assert.Contains(Problems(new AuthOptions { SigningKey = Convert.ToBase64String(new byte[16]) }), p => p.Contains("needs at least 32", StringComparison.Ordinal));
        Assert.Contains(Problems(new AuthOptions { SigningKey = "not base64!" }), p => p.Contains("must be base64", StringComparison.Ordinal));
        Assert.Contains(Problems(new AuthOptions { SigningKeyFile = "/nonexistent/scope.key" }), p => p.Contains("cannot be read", StringComparison.Ordinal));
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, Convert.ToBase64String(new byte[32]) + "\n");
            Assert.Empty(Problems(new AuthOptions { SigningKeyFile = file }));
            Assert.Contains(Problems(new AuthOptions { SigningKeyFile = file, SigningKey = Convert.ToBase64String(new byte[32]) }),
                p => p.Contains("both set", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
