namespace Scope.Silo.Traces;

public static class TracesHosting
{
    /// <summary>The rolling traces (the subscriber grain is found by Orleans) and their retention.</summary>
    public static IHostApplicationBuilder AddScopeTraces(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TraceOptions>()
            .Bind(builder.Configuration.GetSection(TraceOptions.SectionName))
            .Validate(o => o.FlushIntervalSeconds is >= 1 and <= 3600, "Scope:Traces:FlushIntervalSeconds must be 1 to 3600")
            .Validate(o => o.IdleCloseSeconds >= 1, "Scope:Traces:IdleCloseSeconds must be at least 1")
            .Validate(o => o.RetentionDays >= 0, "Scope:Traces:RetentionDays must not be negative")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Directory), "Scope:Traces:Directory must name a directory")
            .ValidateOnStart();
        builder.Services.AddSingleton<TraceFiles>();
        builder.Services.AddHostedService<TraceRetention>();
        return builder;
    }
}
