using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Scope.Abstractions;
using Scope.Silo.Api;
using Scope.Silo.Auth;
using Scope.Silo.Storage;

namespace Scope.Silo.Console;

/// <summary>What a console action answers: done, or refused with a message for the page.</summary>
internal sealed record ConsoleResult(bool Ok, string Message)
{
    public static ConsoleResult Done(string message) => new(true, message);

    public static ConsoleResult Refused(string message) => new(false, message);
}

/// <summary>The start form's fields, as typed.</summary>
internal sealed record TaskForm(string MachineId, IReadOnlyList<string> Probes, string Pid, string Comm, string Labels);

/// <summary>
/// Every change the console makes, each checking the signed-in user's role on the server first: a
/// hidden button is a courtesy, this is the rule (a circuit's events can be sent by hand). Tasks go
/// through the REST API's own creation and stop paths; users through the same store and checks.
/// </summary>
internal sealed class ConsoleActions(
    AuthenticationStateProvider authState, IAuthorizationService authorization, ScopeReadStore store, IGrainFactory grains,
    UserStore users, PasswordHasher hasher, AuthAudit audit)
{
    public async Task<ConsoleResult> StartTaskAsync(TaskForm form, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(form);
        if (await RefusedAsync(ConsoleAuth.OperatorPolicy) is { } no)
            return no;
        if (!TryBody(form, out var body, out var bad))
            return ConsoleResult.Refused(bad);
        using var doc = JsonDocument.Parse(body.ToJsonString());
        var created = await TaskEndpoints.CreateAsync(doc.RootElement, store, grains, ct);
        if (created.Unavailable is not null)
            return ConsoleResult.Refused(created.Unavailable);
        if (created.View is null)
            return ConsoleResult.Refused(string.Join("; ", created.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))));
        return ConsoleResult.Done($"task {created.View.Id} is {TaskEndpoints.Name(created.View.State)}");
    }

    public async Task<ConsoleResult> StopTaskAsync(string id)
    {
        if (await RefusedAsync(ConsoleAuth.OperatorPolicy) is { } no)
            return no;
        if (!TaskIds.IsValid(id))
            return ConsoleResult.Refused("not a task id");
        return await TaskEndpoints.StopAsync(id, grains) is { } t
            ? ConsoleResult.Done($"task {t.Id} is {t.State}")
            : ConsoleResult.Refused($"no task {id}");
    }

    public async Task<(IReadOnlyList<UserRecord> Users, ConsoleResult? Refused)> ListUsersAsync(CancellationToken ct)
    {
        if (await RefusedAsync(ConsoleAuth.AdminPolicy) is { } no)
            return ([], no);
        return (await users.ListAsync(ct), null);
    }

    public async Task<ConsoleResult> CreateUserAsync(string username, string password, string role, CancellationToken ct)
    {
        if (await RefusedAsync(ConsoleAuth.AdminPolicy) is { } no)
            return no;
        if (!Credentials.IsValidUsername(username, out var badName))
            return ConsoleResult.Refused("username " + badName);
        if (!Credentials.IsValidNewPassword(password, out var badPassword))
            return ConsoleResult.Refused("password " + badPassword);
        if (!UserRoles.IsValid(role))
            return ConsoleResult.Refused("role must be one of " + string.Join(", ", UserRoles.All));
        var user = await users.CreateAsync(username, await hasher.HashAsync(password, ct), role, ct);
        if (user is null)
            return ConsoleResult.Refused($"the username '{username}' is taken");
        var actor = await ActorAsync();
        audit.UserCreated(user.Username, user.Role, actor);
        return ConsoleResult.Done($"user {user.Username} created ({user.Role})");
    }

    public async Task<ConsoleResult> ChangeUserAsync(string username, string? role, bool? disabled, CancellationToken ct)
    {
        if (await RefusedAsync(ConsoleAuth.AdminPolicy) is { } no)
            return no;
        if (role is not null && !UserRoles.IsValid(role))
            return ConsoleResult.Refused("role must be one of " + string.Join(", ", UserRoles.All));
        var result = await users.UpdateAsync(username, new UserChange(role, disabled), ct);
        switch (result.Outcome)
        {
            case UserUpdateOutcome.NotFound:
                return ConsoleResult.Refused($"no user '{username}'");
            case UserUpdateOutcome.LastAdmin:
                return ConsoleResult.Refused($"'{username}' is the last enabled admin: make another user admin first");
            default:
                var user = result.User!;
                var actor = await ActorAsync();
                audit.UserChanged(user.Username, actor, user.Role, user.Disabled, false);
                return ConsoleResult.Done($"user {user.Username}: {user.Role}{(user.Disabled ? ", disabled" : "")}");
        }
    }

    /// <summary>The fields as a POST /api/v1/tasks body, so that the API's parser and checks judge them.</summary>
    internal static bool TryBody(TaskForm form, out JsonObject body, out string error)
    {
        body = new JsonObject { ["machine_id"] = form.MachineId, ["probes"] = new JsonArray([.. form.Probes.Select(p => (JsonNode)p)]) };
        error = "";
        var targets = new JsonObject();
        if (!string.IsNullOrWhiteSpace(form.Pid))
        {
            if (!int.TryParse(form.Pid.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
            {
                error = "targets.pids: '" + form.Pid + "' is not a process id";
                return false;
            }
            targets["pids"] = new JsonArray(pid);
        }
        if (!string.IsNullOrWhiteSpace(form.Comm))
            targets["comm"] = new JsonArray(form.Comm.Trim());
        body["targets"] = targets;
        var lines = form.Labels.Split(['\n', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!TaskLabels.TryParseFilter(lines, out var labels, out var badLabel))
        {
            error = "labels: " + badLabel;
            return false;
        }
        body["labels"] = new JsonObject([.. labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))]);
        return true;
    }

    private async Task<ClaimsPrincipal> UserAsync() => (await authState.GetAuthenticationStateAsync()).User;

    private async Task<string> ActorAsync() => (await UserAsync()).Identity?.Name ?? "";

    private async Task<ConsoleResult?> RefusedAsync(string policy)
    {
        var user = await UserAsync();
        if ((await authorization.AuthorizeAsync(user, policy)).Succeeded)
            return null;
        var role = user.FindFirst(AccessTokenIssuer.RoleClaim)?.Value ?? "none";
        return ConsoleResult.Refused($"the role '{role}' may not do this");
    }
}
