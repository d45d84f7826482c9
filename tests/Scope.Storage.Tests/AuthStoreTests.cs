using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using Scope.Silo.Auth;
using Scope.Silo.Storage;

namespace Scope.Storage.Tests;

/// <summary>
/// Issue 11's storage side against a real PostgreSQL: Argon2id hashes, users (case-insensitive
/// names, the last-admin rule), refresh-token rotation with reuse detection and absolute expiry
/// (and exactly one winner among concurrent refreshes), and the signing key shared through the database.
/// </summary>
[Collection(PostgresGroup.Name)]
public sealed class AuthStoreTests(TestDatabase db) : IClassFixture<TestDatabase>, IDisposable
{
    private const string Password = "correct horse battery";
    private readonly PasswordHasher _hasher = new();

    public void Dispose() => _hasher.Dispose();

    private static string Name(string hint) => $"{hint}-{Guid.NewGuid():N}"[..24];

    /// <summary>A database of its own, for tests that count admins or keys.</summary>
    private async Task<NpgsqlDataSource> FreshDatabaseAsync(string hint)
    {
        var ds = db.Server.DataSource(await db.Server.CreateDatabaseAsync(hint));
        await new Migrator(ds, NullLogger<Migrator>.Instance).MigrateAsync(default);
        return ds;
    }

    private async Task<UserRecord> CreateUserAsync(UserStore users, string role = UserRoles.Viewer, string? name = null) =>
        (await users.CreateAsync(name ?? Name(role), await _hasher.HashAsync(Password, default), role, default))!;

    [Fact]
    public async Task A_hash_verifies_its_password_and_no_other()
    {
        var hash = await _hasher.HashAsync(Password, default);
        Assert.True(await _hasher.VerifyAsync(Password, hash, default));
        Assert.False(await _hasher.VerifyAsync(Password + "!", hash, default));
        Assert.False(await _hasher.VerifyAsync("", hash, default));
        Assert.False(PasswordHasher.NeedsRehash(hash));
    }

    [Fact]
    public async Task A_hash_is_an_argon2id_phc_string_with_a_fresh_salt_each_time()
    {
        var a = await _hasher.HashAsync(Password, default);
        var b = await _hasher.HashAsync(Password, default);
        Assert.Matches(@"^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$", a);
        Assert.True(PhcHash.TryParse(a, out var pa));
        Assert.True(PhcHash.TryParse(b, out var pb));
        Assert.Equal((19_456, 2, 1, 16, 32), (pa.MemoryKib, pa.Iterations, pa.Parallelism, pa.Salt.Length, pa.Hash.Length));
        Assert.NotEqual(a, b);
        Assert.NotEqual(pa.Salt, pb.Salt);
        Assert.NotEqual(pa.Hash, pb.Hash);
        Assert.Equal(a, pa.Format());
    }

    [Fact]
    public async Task Verification_uses_the_parameters_the_string_names_and_flags_weaker_ones_for_rehash()
    {
        // Made with other parameters than today's, by Konscious directly: what an older SCOPE stored.
        var salt = RandomNumberGenerator.GetBytes(16);
        using var argon = new Argon2id(Encoding.UTF8.GetBytes(Password)) { Salt = salt, MemorySize = 4096, Iterations = 1, DegreeOfParallelism = 2 };
        var old = new PhcHash(4096, 1, 2, salt, argon.GetBytes(32)).Format();
        Assert.StartsWith("$argon2id$v=19$m=4096,t=1,p=2$", old, StringComparison.Ordinal);
        Assert.True(await _hasher.VerifyAsync(Password, old, default));
        Assert.False(await _hasher.VerifyAsync("another password", old, default));
        Assert.True(PasswordHasher.NeedsRehash(old));
    }

    [Fact]
    public void The_argon2id_underneath_is_version_19_as_the_strings_say()
    {
        // RFC 9106, 5.3: the Argon2id test vector (version 0x13).
        using var argon = new Argon2id(Enumerable.Repeat((byte)1, 32).ToArray())
        {
            Salt = Enumerable.Repeat((byte)2, 16).ToArray(),
            KnownSecret = Enumerable.Repeat((byte)3, 8).ToArray(),
            AssociatedData = Enumerable.Repeat((byte)4, 12).ToArray(),
            MemorySize = 32,
            Iterations = 3,
            DegreeOfParallelism = 4,
        };
        Assert.Equal("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659", Convert.ToHexStringLower(argon.GetBytes(32)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain text")]
    [InlineData("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA")]
    [InlineData("$argon2id$v=19$m=19456,t=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA")]
    [InlineData("$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA")]
    [InlineData("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$!!!")]
    public async Task A_malformed_or_unbounded_hash_string_matches_nothing(string stored)
    {
        Assert.False(PhcHash.TryParse(stored, out _));
        Assert.False(await _hasher.VerifyAsync(Password, stored, default));
    }

    [Fact]
    public async Task Usernames_are_unique_whatever_their_case_and_keep_the_case_they_were_given()
    {
        var users = new UserStore(db.DataSource);
        var name = "Mixed." + Guid.NewGuid().ToString("N")[..8];
        var created = await CreateUserAsync(users, UserRoles.Operator, name);
        Assert.Equal(name, created.Username);
        Assert.Equal(UserRoles.Operator, created.Role);
        Assert.False(created.Disabled);

        Assert.Null(await users.CreateAsync(name.ToUpperInvariant(), "x", UserRoles.Viewer, default));
        var found = await users.FindAsync(name.ToLowerInvariant(), default);
        Assert.Equal(created.Id, found!.Id);
        Assert.Equal(name, found.Username);
        Assert.Contains(await users.ListAsync(default), u => u.Id == created.Id);
        Assert.Null(await users.FindAsync("nobody-" + Guid.NewGuid().ToString("N")[..8], default));
    }

    [Fact]
    public async Task The_database_refuses_bad_names_and_roles_itself()
    {
        var users = new UserStore(db.DataSource);
        await Assert.ThrowsAsync<PostgresException>(() => users.CreateAsync("bad name", "x", UserRoles.Viewer, default));
        await Assert.ThrowsAsync<PostgresException>(() => users.CreateAsync(new string('a', 65), "x", UserRoles.Viewer, default));
        await Assert.ThrowsAsync<PostgresException>(() => users.CreateAsync(Name("root"), "x", "root", default));
    }

    [Fact]
    public async Task A_role_change_and_a_disable_are_stored()
    {
        var users = new UserStore(db.DataSource);
        var user = await CreateUserAsync(users);
        var promoted = await users.UpdateAsync(user.Username, new UserChange(Role: UserRoles.Operator), default);
        Assert.Equal(UserUpdateOutcome.Updated, promoted.Outcome);
        Assert.Equal(UserRoles.Operator, promoted.User!.Role);
        var disabled = await users.UpdateAsync(user.Username.ToUpperInvariant(), new UserChange(Disabled: true), default);
        Assert.True(disabled.User!.Disabled);
        Assert.Equal(UserRoles.Operator, disabled.User.Role);
        Assert.Equal(UserUpdateOutcome.NotFound, (await users.UpdateAsync("ghost-" + Guid.NewGuid().ToString("N")[..8], new UserChange(Disabled: true), default)).Outcome);
    }

    [Fact]
    public async Task The_last_enabled_admin_can_be_neither_demoted_nor_disabled()
    {
        var users = new UserStore(await FreshDatabaseAsync("lastadmin"));
        var first = await CreateUserAsync(users, UserRoles.Admin, "first");
        Assert.Equal(UserUpdateOutcome.LastAdmin, (await users.UpdateAsync("first", new UserChange(Role: UserRoles.Operator), default)).Outcome);
        Assert.Equal(UserUpdateOutcome.LastAdmin, (await users.UpdateAsync("first", new UserChange(Disabled: true), default)).Outcome);
        // A change that keeps it an enabled admin is fine.
        Assert.Equal(UserUpdateOutcome.Updated, (await users.UpdateAsync("first", new UserChange(Role: UserRoles.Admin, Disabled: false), default)).Outcome);
        var stored = await users.FindAsync("first", default);
        Assert.Equal((UserRoles.Admin, false), (stored!.Role, stored.Disabled));

        // A disabled admin does not count.
        await CreateUserAsync(users, UserRoles.Admin, "second");
        Assert.Equal(UserUpdateOutcome.Updated, (await users.UpdateAsync("second", new UserChange(Disabled: true), default)).Outcome);
        Assert.Equal(UserUpdateOutcome.LastAdmin, (await users.UpdateAsync("first", new UserChange(Role: UserRoles.Viewer), default)).Outcome);

        // With two enabled admins demoting each other at once, exactly one demotion goes through.
        Assert.Equal(UserUpdateOutcome.Updated, (await users.UpdateAsync("second", new UserChange(Disabled: false), default)).Outcome);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        List<string> names = ["first", "second"];
        var demotions = names.Select(async name =>
        {
            await go.Task;
            return await users.UpdateAsync(name, new UserChange(Role: UserRoles.Viewer), default);
        }).ToList();
        go.SetResult();
        var both = await Task.WhenAll(demotions);
        Assert.Equal([UserUpdateOutcome.Updated, UserUpdateOutcome.LastAdmin], both.Select(r => r.Outcome).Order());
        Assert.True(await users.HasEnabledAdminAsync(default));
        var roles = (await users.ListAsync(default)).Where(u => u.Username is "first" or "second").Select(u => u.Role).Order();
        Assert.Equal([UserRoles.Admin, UserRoles.Viewer], roles);
        Assert.Equal(first.Id, (await users.FindAsync("FIRST", default))!.Id);
    }

    [Fact]
    public async Task The_admin_is_seeded_once_and_a_disabled_admin_user_is_reset()
    {
        var ds = await FreshDatabaseAsync("seed");
        var users = new UserStore(ds);
        Assert.False(await users.HasEnabledAdminAsync(default));
        var hash = await _hasher.HashAsync(Password, default);
        Assert.Equal(AdminSeedOutcome.Created, await users.SeedAdminAsync("admin", hash, default));
        Assert.Equal(AdminSeedOutcome.AlreadyPresent, await users.SeedAdminAsync("admin", "other", default));
        Assert.Equal(hash, (await users.FindAsync("admin", default))!.PasswordHash);

        // The API never leaves no enabled admin; a hand edit of the table can. The next seed repairs it.
        await Helpers.ExecAsync(ds, "UPDATE scope.users SET disabled = true, role = 'viewer' WHERE username = 'admin'");
        Assert.False(await users.HasEnabledAdminAsync(default));
        var again = await _hasher.HashAsync("a new admin password", default);
        Assert.Equal(AdminSeedOutcome.Reset, await users.SeedAdminAsync("admin", again, default));
        var admin = await users.FindAsync("admin", default);
        Assert.Equal((UserRoles.Admin, false, again), (admin!.Role, admin.Disabled, admin.PasswordHash));
        Assert.Single(await users.ListAsync(default));
    }

    private static readonly TimeSpan Week = TimeSpan.FromDays(7);

    private async Task<(RefreshTokenStore Store, UserRecord User, AuthTestClock Clock)> RefreshSetupAsync()
    {
        var clock = new AuthTestClock(DateTimeOffset.UtcNow);
        return (new RefreshTokenStore(db.DataSource, clock), await CreateUserAsync(new UserStore(db.DataSource)), clock);
    }

    private async Task<List<object?[]>> FamilyAsync(Guid family) =>
        await Helpers.RowsAsync(db.DataSource,
            "SELECT used_at, revoked_at, revoke_reason FROM scope.refresh_tokens WHERE family_id = @f ORDER BY issued_at", ("f", family));

    [Fact]
    public async Task A_refresh_uses_up_its_token_and_gives_the_next_in_the_same_family()
    {
        var (store, user, clock) = await RefreshSetupAsync();
        var first = await store.StartFamilyAsync(user.Id, Week, default);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", first.Token);
        clock.Advance(TimeSpan.FromMinutes(5));

        var r = await store.RotateAsync(first.Token, default);
        Assert.Equal(RefreshOutcome.Rotated, r.Outcome);
        Assert.Equal(user.Id, r.User!.Id);
        Assert.NotEqual(first.Token, r.Next!.Token);
        Assert.Equal(first.FamilyId, r.Next.FamilyId);
        Assert.Equal(first.FamilyExpiresAt, r.Next.FamilyExpiresAt);

        var r2 = await store.RotateAsync(r.Next.Token, default);
        Assert.Equal(RefreshOutcome.Rotated, r2.Outcome);
        var rows = await FamilyAsync(first.FamilyId);
        Assert.Equal(3, rows.Count);
        Assert.Equal([true, true, false], rows.Select(row => row[0] is not null));
        Assert.All(rows, row => Assert.Null(row[1]));
        // Only the hash is stored.
        Assert.Equal(0L, await Helpers.ScalarAsync<long>(db.DataSource,
            "SELECT count(*) FROM scope.refresh_tokens WHERE convert_to(@t, 'UTF8') = token_hash", ("t", first.Token)));
    }

    [Fact]
    public async Task A_used_token_presented_again_revokes_its_whole_family_newest_token_included()
    {
        var (store, user, _) = await RefreshSetupAsync();
        var first = await store.StartFamilyAsync(user.Id, Week, default);
        var second = (await store.RotateAsync(first.Token, default)).Next!;
        var third = (await store.RotateAsync(second.Token, default)).Next!;
        var other = await store.StartFamilyAsync(user.Id, Week, default);

        var replay = await store.RotateAsync(first.Token, default);
        Assert.Equal(RefreshOutcome.Reused, replay.Outcome);
        Assert.Null(replay.Next);
        Assert.Equal(RefreshOutcome.Revoked, (await store.RotateAsync(third.Token, default)).Outcome);
        var rows = await FamilyAsync(first.FamilyId);
        Assert.All(rows, row => Assert.NotNull(row[1]));
        Assert.All(rows, row => Assert.Equal("reused", row[2]));

        // Another login of the same user is another family, untouched.
        Assert.Equal(RefreshOutcome.Rotated, (await store.RotateAsync(other.Token, default)).Outcome);
    }

    [Fact]
    public async Task A_family_ends_at_its_absolute_expiry_however_often_it_was_refreshed()
    {
        var (store, user, clock) = await RefreshSetupAsync();
        var token = await store.StartFamilyAsync(user.Id, Week, default);
        var expires = token.FamilyExpiresAt;
        for (int day = 0; day < 6; day++)
        {
            clock.Advance(TimeSpan.FromDays(1));
            token = (await store.RotateAsync(token.Token, default)).Next!;
            Assert.Equal(expires, token.FamilyExpiresAt);
        }
        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(RefreshOutcome.Expired, (await store.RotateAsync(token.Token, default)).Outcome);
        // The tokens of an expired family are deleted after a while; then the token is simply unknown.
        Assert.True(await store.DeleteExpiredAsync(expires + TimeSpan.FromSeconds(1), default) >= 7);
        Assert.Empty(await FamilyAsync(token.FamilyId));
        Assert.Equal(RefreshOutcome.Unknown, (await store.RotateAsync(token.Token, default)).Outcome);
    }

    [Fact]
    public async Task Of_eight_concurrent_refreshes_with_one_token_exactly_one_wins()
    {
        var (store, user, _) = await RefreshSetupAsync();
        // Eight pooled connections ready, so that the refreshes meet in PostgreSQL rather than queue for connections.
        var warm = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => db.DataSource.OpenConnectionAsync().AsTask()));
        foreach (var c in warm)
            await c.DisposeAsync();
        for (int round = 0; round < 5; round++)
        {
            var token = await store.StartFamilyAsync(user.Id, Week, default);
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var all = Enumerable.Range(0, 8).Select(async _ =>
            {
                await go.Task;
                return await store.RotateAsync(token.Token, default);
            }).ToList();
            go.SetResult();
            var results = await Task.WhenAll(all);
            Assert.Single(results, r => r.Outcome == RefreshOutcome.Rotated);
            Assert.All(results.Where(r => r.Outcome != RefreshOutcome.Rotated), r => Assert.Equal(RefreshOutcome.Reused, r.Outcome));
            // The losers saw the token used: the winner's new token went down with the family.
            var winner = results.Single(r => r.Outcome == RefreshOutcome.Rotated).Next!;
            Assert.Equal(RefreshOutcome.Revoked, (await store.RotateAsync(winner.Token, default)).Outcome);
        }
    }

    [Fact]
    public async Task Logout_revokes_the_family_and_an_unknown_token_is_refused()
    {
        var (store, user, _) = await RefreshSetupAsync();
        var first = await store.StartFamilyAsync(user.Id, Week, default);
        var second = (await store.RotateAsync(first.Token, default)).Next!;
        Assert.True(await store.RevokeFamilyAsync(first.Token, "logout", default));
        Assert.True(await store.RevokeFamilyAsync(second.Token, "logout", default));
        Assert.Equal(RefreshOutcome.Revoked, (await store.RotateAsync(second.Token, default)).Outcome);
        Assert.All(await FamilyAsync(first.FamilyId), row => Assert.Equal("logout", row[2]));

        Assert.False(await store.RevokeFamilyAsync("not-a-token", "logout", default));
        Assert.Equal(RefreshOutcome.Unknown, (await store.RotateAsync("not-a-token", default)).Outcome);
        Assert.Equal(RefreshOutcome.Unknown, (await store.RotateAsync(new string('x', 5000), default)).Outcome);
    }

    [Fact]
    public async Task A_disabled_user_cannot_refresh_and_disabling_revokes_every_session()
    {
        var (store, user, _) = await RefreshSetupAsync();
        var users = new UserStore(db.DataSource);
        var a = await store.StartFamilyAsync(user.Id, Week, default);
        var b = await store.StartFamilyAsync(user.Id, Week, default);
        await Helpers.ExecAsync(db.DataSource, $"UPDATE scope.users SET disabled = true WHERE id = {user.Id}");
        Assert.Equal(RefreshOutcome.Disabled, (await store.RotateAsync(a.Token, default)).Outcome);
        Assert.All(await FamilyAsync(a.FamilyId), row => Assert.Equal("user_disabled", row[2]));

        // Through the store, disabling revokes the families at once; enabling does not bring them back.
        await Helpers.ExecAsync(db.DataSource, $"UPDATE scope.users SET disabled = false WHERE id = {user.Id}");
        await users.UpdateAsync(user.Username, new UserChange(Disabled: true), default);
        Assert.All(await FamilyAsync(b.FamilyId), row => Assert.Equal("user_disabled", row[2]));
        await users.UpdateAsync(user.Username, new UserChange(Disabled: false), default);
        Assert.Equal(RefreshOutcome.Revoked, (await store.RotateAsync(b.Token, default)).Outcome);
    }

    [Fact]
    public async Task A_new_password_ends_the_users_sessions()
    {
        var (store, user, _) = await RefreshSetupAsync();
        var users = new UserStore(db.DataSource);
        var token = await store.StartFamilyAsync(user.Id, Week, default);
        await users.UpdateAsync(user.Username, new UserChange(PasswordHash: await _hasher.HashAsync("a brand new password", default)), default);
        Assert.Equal(RefreshOutcome.Revoked, (await store.RotateAsync(token.Token, default)).Outcome);
    }

    private static IOptions<AuthOptions> Options(string key = "") => Microsoft.Extensions.Options.Options.Create(new AuthOptions { SigningKey = key });

    [Fact]
    public async Task Silos_on_one_database_generate_one_signing_key_between_them()
    {
        var ds = await FreshDatabaseAsync("keys");
        var providers = Enumerable.Range(0, 4).Select(_ => new SigningKeyProvider(ds, Options())).ToList();
        var keys = await Task.WhenAll(providers.Select(p => Task.Run(() => p.LoadAsync(default))));
        Assert.All(keys, k => Assert.Equal(keys[0].Key, k.Key));
        Assert.True(keys[0].Key.Length >= 32);
        Assert.All(providers, p => Assert.True(p.Generated));
        Assert.Equal(1L, await Helpers.ScalarAsync<long>(ds, "SELECT count(*) FROM scope.auth_keys"));

        // A later start finds the same key.
        Assert.Equal(keys[0].Key, (await new SigningKeyProvider(ds, Options()).LoadAsync(default)).Key);
    }

    [Fact]
    public async Task A_configured_key_wins_over_the_database()
    {
        var configured = RandomNumberGenerator.GetBytes(32);
        var provider = new SigningKeyProvider(db.DataSource, Options(Convert.ToBase64String(configured)));
        Assert.Null(provider.Current);
        var key = await provider.LoadAsync(default);
        Assert.Equal(configured, key.Key);
        Assert.False(provider.Generated);
        Assert.Same(key, provider.Current);
    }

    [Fact]
    public async Task An_access_token_carries_the_claims_and_lifetime_it_should()
    {
        var clock = new AuthTestClock(DateTimeOffset.UtcNow);
        var keys = new SigningKeyProvider(db.DataSource, Options(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
        await keys.LoadAsync(default);
        var issuer = new AccessTokenIssuer(keys, Microsoft.Extensions.Options.Options.Create(new AuthOptions { AccessTokenMinutes = 5 }), clock);
        var user = new UserRecord(42, "Ada", "", UserRoles.Operator, false, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);
        var jwt = new JsonWebToken(issuer.Issue(user));
        Assert.Equal("HS256", jwt.Alg);
        Assert.Equal("scope", jwt.Issuer);
        Assert.Equal(["scope-api"], jwt.Audiences);
        Assert.Equal("42", jwt.Subject);
        Assert.Equal("Ada", jwt.GetClaim("name").Value);
        Assert.Equal("operator", jwt.GetClaim("role").Value);
        Assert.Matches("^[0-9a-f]{32}$", jwt.Id);
        Assert.Equal(TimeSpan.FromMinutes(5), jwt.ValidTo - jwt.ValidFrom);
        Assert.Equal(jwt.IssuedAt, jwt.ValidFrom);
        Assert.True(Math.Abs((jwt.ValidFrom - clock.GetUtcNow().UtcDateTime).TotalSeconds) < 1);
    }
}
