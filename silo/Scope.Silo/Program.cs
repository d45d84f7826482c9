using Scope.Grains.Placement;
using Scope.Silo.Api;
using Scope.Silo.Collectors;
using Scope.Silo.Console;
using Scope.Silo.Hosting;
using Scope.Silo.Ingest;
using Scope.Silo.Persistence;
using Scope.Silo.Storage;
using Scope.Silo.Tasks;
using Scope.Silo.Traces;

var builder = WebApplication.CreateBuilder(args);
builder.AddScopeConfiguration(args);
var role = builder.Configuration.GetScopeRole();
builder.AddScopeOrleans();
// Every role reads PostgreSQL for now (an edge's grains replay from it; docs/fleet.md).
builder.Services.AddScopeStorage(builder.Configuration);
builder.AddScopePersistence();
if (ScopeRoles.HostsClusterWide(role))
    builder.AddScopeTraces();
if (ScopeRoles.HostsMachines(role))
{
    builder.AddScopeIngest();
    builder.AddScopeCollectors();
}
builder.AddScopeTasks();
builder.AddScopeTelemetry();
builder.AddScopeApi();
// The console and the Orleans dashboard are served where the API is (docs/console.md), with one
// Data Protection key ring for all of them (docs/deployment.md).
if (ScopeRoles.HostsClusterWide(role))
{
    builder.AddScopeConsole();
    builder.AddScopeDataProtection();
}

var app = builder.Build();
app.MapScopeApi();
if (ScopeRoles.HostsClusterWide(role))
    app.MapScopeConsole();
app.MapScopeTelemetry();
app.Run();
