using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Scope.Silo.Auth;

namespace Scope.Silo.Api;

/// <summary>
/// /openapi/v1.json: every route, with the bearer scheme and, per operation, the least role that may
/// call it (<c>x-scope-role</c>: public, viewer, operator or admin), read from the route's own
/// authorization metadata so that the document cannot disagree with what is enforced.
/// </summary>
internal static class OpenApiHosting
{
    public const string RoleExtension = "x-scope-role";

    public static IHostApplicationBuilder AddScopeOpenApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "SCOPE REST API";
                document.Info.Version = "v1";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "An access token from POST /api/v1/auth/login or /api/v1/auth/refresh.",
                };
                return Task.CompletedTask;
            });
            o.AddOperationTransformer((operation, context, _) =>
            {
                var role = RoleOf(context.Description.ActionDescriptor.EndpointMetadata);
                operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
                operation.Extensions[RoleExtension] = new JsonNodeExtension(JsonValue.Create(role));
                if (role != "public")
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", context.Document)] = [] });
                }
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    /// <summary>The least role a route admits, from its metadata (the strictest policy wins: they all apply).</summary>
    public static string RoleOf(IEnumerable<object> metadata)
    {
        var items = metadata.ToList();
        if (items.OfType<IAllowAnonymous>().Any())
            return "public";
        var policies = items.OfType<IAuthorizeData>().Select(a => a.Policy).ToHashSet(StringComparer.Ordinal);
        if (policies.Contains(ScopePolicies.Admin))
            return "admin";
        if (policies.Contains(ScopePolicies.Operator))
            return "operator";
        return "viewer";
    }
}
