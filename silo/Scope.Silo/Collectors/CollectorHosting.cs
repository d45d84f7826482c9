using Scope.Silo.Hosting;

namespace Scope.Silo.Collectors;

public static class CollectorHosting
{
    public static IHostApplicationBuilder AddScopeCollectors(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<CollectorOptions>(builder.Configuration.GetSection("Scope:Collector"));
        builder.Services.AddSingleton<LocalMachine>();
        builder.Services.AddHostedService<MachineRegistration>();
        builder.Services.AddSingleton<CollectorSupervisor>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CollectorSupervisor>());
        return builder;
    }
}
