using Scope.Silo.Api;
using Scope.Silo.Collectors;
using Scope.Silo.Hosting;
using Scope.Silo.Ingest;
using Scope.Silo.Persistence;
using Scope.Silo.Storage;
using Scope.Silo.Traces;

var builder = WebApplication.CreateBuilder(args);
builder.AddScopeConfiguration(args);
builder.AddScopeOrleans();
builder.Services.AddScopeStorage(builder.Configuration);
builder.AddScopePersistence();
builder.AddScopeTraces();
builder.AddScopeIngest();
builder.AddScopeCollectors();
builder.AddScopeTelemetry();
builder.AddScopeApi();

var app = builder.Build();
app.MapScopeApi();
app.MapScopeTelemetry();
app.Run();
