using Npgsql;
using NpgsqlTypes;

namespace Scope.Silo.Auth;

/// <summary>
/// scope.users. Changes that could remove the last enabled admin run one at a time across every
/// silo (an advisory lock), so two admins demoting each other at once cannot both succeed.
/// </summary>
public sealed class UserStore
{
    // Any constant: it only has to be the same on every silo, and differ from the migrator's.
    private const long AdminChangeLockKey = 0x5C0_9E_0006;
    private const string Columns = "id, username, password_hash, role, disabled, created_at, updated_at";

    private readonly NpgsqlDataSource _dataSource;

    public UserStore(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    /// <summary>The user named <paramref name="username"/>, whatever its case.</summary>
    public async Task<UserRecord?> FindAsync(string username, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand($"SELECT {Columns} FROM scope.users WHERE lower(username) = lower(@name)");
        cmd.Parameters.AddWithValue("name", username);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>Every user, by id.</summary>
    public async Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand($"SELECT {Columns} FROM scope.users ORDER BY id");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var users = new List<UserRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            users.Add(Read(reader));
        return users;
    }

    /// <summary>The new user, or null when the name is taken (in any case).</summary>
    public async Task<UserRecord?> CreateAsync(string username, string passwordHash, string role, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand($"""
            INSERT INTO scope.users (username, password_hash, role) VALUES (@name, @hash, @role)
            ON CONFLICT ((lower(username))) DO NOTHING
            RETURNING {Columns}
            """);
        cmd.Parameters.AddWithValue("name", username);
        cmd.Parameters.AddWithValue("hash", passwordHash);
        cmd.Parameters.AddWithValue("role", role);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
    }

    /// <summary>
    /// Applies <paramref name="change"/>, unless it would leave no enabled admin. Disabling a user or
    /// changing the password also revokes every refresh-token family of the user (their sessions end
    /// when their access tokens expire).
    /// </summary>
    public async Task<UserUpdate> UpdateAsync(string username, UserChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await LockAdminChangesAsync(conn, tx, cancellationToken).ConfigureAwait(false);

        UserRecord? user;
        await using (var cmd = new NpgsqlCommand($"SELECT {Columns} FROM scope.users WHERE lower(username) = lower(@name) FOR UPDATE", conn, tx))
        {
            cmd.Parameters.AddWithValue("name", username);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            user = await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? Read(reader) : null;
        }
        if (user is null)
            return new UserUpdate(UserUpdateOutcome.NotFound, null);

        var role = change.Role ?? user.Role;
        var disabled = change.Disabled ?? user.Disabled;
        var losesAdmin = user.Role == UserRoles.Admin && !user.Disabled && (role != UserRoles.Admin || disabled);
        if (losesAdmin && await CountEnabledAdminsAsync(conn, tx, cancellationToken).ConfigureAwait(false) <= 1)
            return new UserUpdate(UserUpdateOutcome.LastAdmin, user);

        UserRecord updated;
        await using (var cmd = new NpgsqlCommand($"""
            UPDATE scope.users SET role = @role, disabled = @disabled, password_hash = @hash, updated_at = now()
            WHERE id = @id RETURNING {Columns}
            """, conn, tx))
        {
            cmd.Parameters.AddWithValue("id", user.Id);
            cmd.Parameters.AddWithValue("role", role);
            cmd.Parameters.AddWithValue("disabled", disabled);
            cmd.Parameters.AddWithValue("hash", change.PasswordHash ?? user.PasswordHash);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            updated = Read(reader);
        }
        if (disabled && !user.Disabled)
            await RevokeFamiliesAsync(conn, tx, user.Id, "user_disabled", cancellationToken).ConfigureAwait(false);
        else if (change.PasswordHash is not null)
            await RevokeFamiliesAsync(conn, tx, user.Id, "password_changed", cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new UserUpdate(UserUpdateOutcome.Updated, updated);
    }

    /// <summary>Replaces a user's hash after a login with weaker Argon2 parameters than today's.</summary>
    public async Task SetPasswordHashAsync(long id, string passwordHash, CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("UPDATE scope.users SET password_hash = @hash WHERE id = @id");
        cmd.Parameters.AddWithValue("id", id);
        cmd.Parameters.AddWithValue("hash", passwordHash);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> HasEnabledAdminAsync(CancellationToken cancellationToken)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM scope.users WHERE role = 'admin' AND NOT disabled)");
        return (bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>
    /// Makes <paramref name="username"/> an enabled admin with <paramref name="passwordHash"/>, unless
    /// an enabled admin exists by the time the lock is held (silos starting together seed once).
    /// </summary>
    public async Task<AdminSeedOutcome> SeedAdminAsync(string username, string passwordHash, CancellationToken cancellationToken)
    {
        await using var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await LockAdminChangesAsync(conn, tx, cancellationToken).ConfigureAwait(false);
        if (await CountEnabledAdminsAsync(conn, tx, cancellationToken).ConfigureAwait(false) > 0)
            return AdminSeedOutcome.AlreadyPresent;
        bool created;
        await using (var cmd = new NpgsqlCommand("""
            INSERT INTO scope.users (username, password_hash, role) VALUES (@name, @hash, 'admin')
            ON CONFLICT ((lower(username))) DO UPDATE
                SET password_hash = excluded.password_hash, role = 'admin', disabled = false, updated_at = now()
            RETURNING (xmax = 0)
            """, conn, tx))
        {
            // xmax is 0 for a row this statement inserted, not for one it updated.
            cmd.Parameters.AddWithValue("name", username);
            cmd.Parameters.AddWithValue("hash", passwordHash);
            created = (bool)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return created ? AdminSeedOutcome.Created : AdminSeedOutcome.Reset;
    }

    private static async Task LockAdminChangesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", conn, tx);
        cmd.Parameters.AddWithValue("key", AdminChangeLockKey);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<long> CountEnabledAdminsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM scope.users WHERE role = 'admin' AND NOT disabled", conn, tx);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task RevokeFamiliesAsync(NpgsqlConnection conn, NpgsqlTransaction tx, long userId, string reason, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE scope.refresh_tokens SET revoked_at = now(), revoke_reason = @reason
            WHERE user_id = @id AND revoked_at IS NULL
            """, conn, tx);
        cmd.Parameters.AddWithValue("id", userId);
        cmd.Parameters.AddWithValue("reason", NpgsqlDbType.Text, reason);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static UserRecord Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetBoolean(4),
        r.GetFieldValue<DateTimeOffset>(5), r.GetFieldValue<DateTimeOffset>(6));
}
