using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Scope.Silo.Auth;

/// <summary>
/// The HS256 key this silo signs and verifies access tokens with: the configured one
/// (<c>Scope:Auth:SigningKey</c> or <c>SigningKeyFile</c>), else the one in scope.auth_keys, generated
/// by whichever silo on the database needed it first. Loaded once at start-up, before the API serves.
/// </summary>
public sealed class SigningKeyProvider
{
    // Row 1 is the current key; a later key rotation would add rows beside it.
    private const int CurrentKeyId = 1;
    private const int GeneratedKeyBytes = 64;

    private readonly NpgsqlDataSource _dataSource;
    private readonly AuthOptions _options;
    private volatile SymmetricSecurityKey? _key;

    public SigningKeyProvider(NpgsqlDataSource dataSource, IOptions<AuthOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _dataSource = dataSource;
        _options = options.Value;
    }

    /// <summary>The key, or null before <see cref="LoadAsync"/> has run (tokens then verify against nothing and are refused).</summary>
    public SymmetricSecurityKey? Current => _key;

    /// <summary>True when the key came from the database rather than the configuration.</summary>
    public bool Generated { get; private set; }

    /// <summary>The key, or an exception saying it was never loaded: nothing may be signed without it.</summary>
    public SymmetricSecurityKey Required =>
        _key ?? throw new InvalidOperationException("the token signing key has not been loaded yet");

    public async Task<SymmetricSecurityKey> LoadAsync(CancellationToken cancellationToken)
    {
        byte[] bytes;
        if (_options.HasConfiguredKey)
        {
            bytes = _options.ReadConfiguredKey();
        }
        else
        {
            bytes = await LoadOrCreateAsync(cancellationToken).ConfigureAwait(false);
            Generated = true;
        }
        var key = new SymmetricSecurityKey(bytes) { KeyId = KeyId(bytes) };
        _key = key;
        return key;
    }

    /// <summary>
    /// Inserts a fresh key unless one exists, then reads the one that does. Two silos racing both
    /// end with the first one's key: the loser's insert waits on the primary key, then does nothing.
    /// </summary>
    private async Task<byte[]> LoadOrCreateAsync(CancellationToken cancellationToken)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = new NpgsqlCommand("INSERT INTO scope.auth_keys (id, key) VALUES (@id, @key) ON CONFLICT (id) DO NOTHING", conn))
        {
            insert.Parameters.AddWithValue("id", CurrentKeyId);
            insert.Parameters.AddWithValue("key", RandomNumberGenerator.GetBytes(GeneratedKeyBytes));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using var select = new NpgsqlCommand("SELECT key FROM scope.auth_keys WHERE id = @id", conn);
        select.Parameters.AddWithValue("id", CurrentKeyId);
        return (byte[])(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>A kid that names the key without revealing it: the first 8 bytes of its SHA-256, in hex.</summary>
    private static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key).AsSpan(0, 8));
}
