using Scope.Grains;

namespace Scope.Silo.Persistence;

public static class PersistenceHosting
{
    public static IHostApplicationBuilder AddScopePersistence(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ICollectorLedger, StoreCollectorLedger>();
        builder.Services.AddSingleton<IPersistencePressure, PersistencePressure>();
        builder.Services.AddSingleton<IBatchPayloads, BatchPayloads>();
        builder.Services.AddSingleton<IProcessRecordStore, StoreProcessRecords>();
        return builder;
    }
}
