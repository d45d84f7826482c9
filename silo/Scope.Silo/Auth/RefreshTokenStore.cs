using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Scope.Silo.Auth;

/// <summary>
/// scope.refresh_tokens: single-use refresh tokens in families. A login starts a family with a fixed
/// absolute expiry; each refresh uses up its token and issues the next in the same family; a token
/// presented twice revokes the family, so a stolen token is good for one refresh at most, by
/// whoever gets there first, and then for nobody.
/// </summary>
/// <remarks>
/// Every change to a family runs under a transaction-scoped advisory lock on the family, and locks
/// the user row before any token row, as <see cref="UserStore"/> does: a revocation therefore
/// always sees the token that a concurrent refresh has just added, and the two never deadlock.
/// </remarks>
public sealed class RefreshTokenStore
{
    // Namespace of the two-key advisory locks on families (the one-key locks never collide with these).
    private const int FamilyLockSpace = 0x5C0A;
    private const int TokenBytes = 32;

    // Longer than any token this store issues: not worth hashing.
    private const int MaxTokenLength = 128;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;

    public RefreshTokenStore(NpgsqlDataSource dataSource, TimeProvider? time = null)
    {
        _dataSource = dataSource;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Starts a family for a login: its first token, good until now + <paramref name="lifetime"/> at most.</summary>
    public async Task<IssuedRefreshToken> StartFamilyAsync(long userId, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        // PostgreSQL keeps microseconds: the expiry handed back must be the one stored.
        var expires = now + lifetime;
        var issued = NewToken(Guid.NewGuid(), expires.AddTicks(-(expires.Ticks % 10)));
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await InsertAsync(conn, null, userId, issued, now, cancellationToken).ConfigureAwait(false);
        return issued;
    }

    /// <summary>
    /// Uses up <paramref name="token"/> and issues the next one of its family. The token row is read
    /// with SELECT ... FOR UPDATE and marked used in the same transaction, so of several refreshes
    /// with one token exactly one succeeds (the others see it used, and revoke the family).
    /// </summary>
    public async Task<RefreshResult> RotateAsync(string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length is 0 or > MaxTokenLength)
            return new RefreshResult(RefreshOutcome.Unknown);
        var hash = Hash(token);
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (await LockFamilyAsync(conn, tx, hash, cancellationToken).ConfigureAwait(false) is not { } owner)
            return new RefreshResult(RefreshOutcome.Unknown);

        UserRecord user;
        await using (var cmd = new NpgsqlCommand(
            "SELECT id, username, password_hash, role, disabled, created_at, updated_at FROM scope.users WHERE id = @id FOR SHARE", conn, tx))
        {
            cmd.Parameters.AddWithValue("id", owner.UserId);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            user = UserStore.Read(reader);
        }

        DateTimeOffset expires;
        bool used, revoked;
        await using (var cmd = new NpgsqlCommand("""
            SELECT family_expires_at, used_at IS NOT NULL, revoked_at IS NOT NULL
            FROM scope.refresh_tokens WHERE token_hash = @hash FOR UPDATE
            """, conn, tx))
        {
            cmd.Parameters.AddWithValue("hash", hash);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (expires, used, revoked) = (reader.GetFieldValue<DateTimeOffset>(0), reader.GetBoolean(1), reader.GetBoolean(2));
        }

        var now = _time.GetUtcNow();
        RefreshOutcome outcome;
        if (used || revoked)
        {
            outcome = used ? RefreshOutcome.Reused : RefreshOutcome.Revoked;
            await RevokeAsync(conn, tx, owner.FamilyId, now, used ? "reused" : "revoked_token_presented", cancellationToken).ConfigureAwait(false);
        }
        else if (expires <= now)
        {
            outcome = RefreshOutcome.Expired;
        }
        else if (user.Disabled)
        {
            outcome = RefreshOutcome.Disabled;
            await RevokeAsync(conn, tx, owner.FamilyId, now, "user_disabled", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await using (var cmd = new NpgsqlCommand("UPDATE scope.refresh_tokens SET used_at = @now WHERE token_hash = @hash", conn, tx))
            {
                cmd.Parameters.AddWithValue("hash", hash);
                cmd.Parameters.AddWithValue("now", now);
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            var next = NewToken(owner.FamilyId, expires);
            await InsertAsync(conn, tx, user.Id, next, now, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return new RefreshResult(RefreshOutcome.Rotated, user, next);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new RefreshResult(outcome, user);
    }

    /// <summary>Revokes the family of <paramref name="token"/> (logout). False when the token is unknown.</summary>
    public async Task<bool> RevokeFamilyAsync(string token, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length is 0 or > MaxTokenLength)
            return false;
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (await LockFamilyAsync(conn, tx, Hash(token), cancellationToken).ConfigureAwait(false) is not { } owner)
            return false;
        await RevokeAsync(conn, tx, owner.FamilyId, _time.GetUtcNow(), reason, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Deletes the tokens of families that expired before <paramref name="before"/>; returns how many.</summary>
    public async Task<int> DeleteExpiredAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("DELETE FROM scope.refresh_tokens WHERE family_expires_at < @before");
        cmd.Parameters.AddWithValue("before", before);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The SHA-256 that scope.refresh_tokens keys a token by.</summary>
    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static IssuedRefreshToken NewToken(Guid family, DateTimeOffset familyExpiresAt) =>
        new(Base64Url(RandomNumberGenerator.GetBytes(TokenBytes)), family, familyExpiresAt);

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record Owner(Guid FamilyId, long UserId);

    /// <summary>Finds the token's family and takes the family's lock; null for an unknown token.</summary>
    private static async Task<Owner?> LockFamilyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, byte[] hash, CancellationToken cancellationToken)
    {
        Owner owner;
        // A token's family and user never change, so reading them before the lock is safe.
        await using (var cmd = new NpgsqlCommand("SELECT family_id, user_id FROM scope.refresh_tokens WHERE token_hash = @hash", conn, tx))
        {
            cmd.Parameters.AddWithValue("hash", hash);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                return null;
            owner = new Owner(reader.GetGuid(0), reader.GetInt64(1));
        }
        await using (var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@space, hashtext(@family::text))", conn, tx))
        {
            cmd.Parameters.AddWithValue("space", FamilyLockSpace);
            cmd.Parameters.AddWithValue("family", owner.FamilyId);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return owner;
    }

    private static async Task InsertAsync(
        NpgsqlConnection conn, NpgsqlTransaction? tx, long userId, IssuedRefreshToken token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO scope.refresh_tokens (token_hash, family_id, user_id, issued_at, family_expires_at)
            VALUES (@hash, @family, @user, @now, @expires)
            """, conn, tx);
        cmd.Parameters.AddWithValue("hash", Hash(token.Token));
        cmd.Parameters.AddWithValue("family", token.FamilyId);
        cmd.Parameters.AddWithValue("user", userId);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("expires", token.FamilyExpiresAt);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Revokes every token of the family still unrevoked: used ones and the newest alike.</summary>
    private static async Task RevokeAsync(
        NpgsqlConnection conn, NpgsqlTransaction tx, Guid family, DateTimeOffset now, string reason, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE scope.refresh_tokens SET revoked_at = @now, revoke_reason = @reason
            WHERE family_id = @family AND revoked_at IS NULL
            """, conn, tx);
        cmd.Parameters.AddWithValue("family", family);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("reason", reason);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
