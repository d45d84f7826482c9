using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Scope.Silo.Auth;

/// <summary>User management, for admins (docs/auth.md).</summary>
internal static class UserEndpoints
{
    public static void MapUserEndpoints(this RouteGroupBuilder v1)
    {
        var users = v1.MapGroup("/users").RequireAuthorization(ScopePolicies.Admin);
        users.MapGet("", List);
        users.MapPost("", Create);
        users.MapPatch("/{username}", Update);
    }

    private static async Task<Ok<IReadOnlyList<UserBody>>> List(UserStore users, CancellationToken ct) =>
        TypedResults.Ok<IReadOnlyList<UserBody>>([.. (await users.ListAsync(ct)).Select(UserBody.From)]);

    /// <summary>201 with the user; 400 naming each bad field; 409 when the name is taken (in any case).</summary>
    private static async Task<Results<Created<UserBody>, ValidationProblem, ProblemHttpResult>> Create(
        HttpRequest request, ClaimsPrincipal actor, UserStore users, PasswordHasher hasher, AuthAudit audit, CancellationToken ct)
    {
        var (body, invalid) = await AuthProblems.ReadAsync<CreateUserRequest>(request, ct);
        if (invalid is not null)
            return invalid;
        var errors = new Dictionary<string, string[]>();
        AuthProblems.Check(errors, "username", Credentials.IsValidUsername(body!.Username, out var badName), badName);
        AuthProblems.Check(errors, "password", Credentials.IsValidNewPassword(body.Password, out var badPassword), badPassword);
        AuthProblems.Check(errors, "role", UserRoles.IsValid(body.Role), "must be one of " + string.Join(", ", UserRoles.All));
        if (errors.Count > 0)
            return AuthProblems.Invalid(errors);
        var user = await users.CreateAsync(body.Username!, await hasher.HashAsync(body.Password!, ct), body.Role!, ct);
        if (user is null)
            return AuthProblems.Conflict($"the username '{body.Username}' is taken");
        audit.UserCreated(user.Username, user.Role, actor.Identity?.Name ?? "");
        return TypedResults.Created($"/api/v1/users/{user.Username}", UserBody.From(user));
    }

    /// <summary>
    /// 200 with the user as changed; 400 for a bad field or nothing to change; 404 for an unknown
    /// user; 409 when the change would leave no enabled admin. Disabling a user or setting a password
    /// revokes the user's refresh tokens.
    /// </summary>
    private static async Task<Results<Ok<UserBody>, ValidationProblem, ProblemHttpResult>> Update(
        string username, HttpRequest request, ClaimsPrincipal actor, UserStore users, PasswordHasher hasher, AuthAudit audit, CancellationToken ct)
    {
        var (body, invalid) = await AuthProblems.ReadAsync<UpdateUserRequest>(request, ct);
        if (invalid is not null)
            return invalid;
        if (body!.Role is null && body.Disabled is null && body.Password is null)
            return AuthProblems.Invalid("body", "give at least one of role, disabled, password");
        var errors = new Dictionary<string, string[]>();
        if (body.Role is not null)
            AuthProblems.Check(errors, "role", UserRoles.IsValid(body.Role), "must be one of " + string.Join(", ", UserRoles.All));
        if (body.Password is not null)
            AuthProblems.Check(errors, "password", Credentials.IsValidNewPassword(body.Password, out var badPassword), badPassword);
        if (errors.Count > 0)
            return AuthProblems.Invalid(errors);

        var hash = body.Password is null ? null : await hasher.HashAsync(body.Password, ct);
        var result = await users.UpdateAsync(username, new UserChange(body.Role, body.Disabled, hash), ct);
        switch (result.Outcome)
        {
            case UserUpdateOutcome.NotFound:
                return AuthProblems.NotFound($"no user '{username}'");
            case UserUpdateOutcome.LastAdmin:
                return AuthProblems.Conflict($"'{result.User!.Username}' is the last enabled admin: make another user admin before demoting or disabling it");
            default:
                var user = result.User!;
                audit.UserChanged(user.Username, actor.Identity?.Name ?? "", user.Role, user.Disabled, hash is not null);
                return TypedResults.Ok(UserBody.From(user));
        }
    }
}
