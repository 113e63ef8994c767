using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ModelRegistry.Common;

internal static class TelemetryExport
{
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string RegistryEndpointKey = "Registry:Telemetry:OtlpEndpoint";

    /// <summary>
    /// Metrics (the registry's meter, ASP.NET Core, the runtime, Npgsql) and traces (ASP.NET Core, Npgsql) over OTLP when
    /// <c>Registry:Telemetry:OtlpEndpoint</c> or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> names a collector. Without either no
    /// provider is registered, so nothing listens to the instruments and they cost next to nothing.
    /// </summary>
    public static WebApplicationBuilder AddTelemetryExport(this WebApplicationBuilder builder)
    {
        var registryEndpoint = builder.Configuration[RegistryEndpointKey];
        if (string.IsNullOrWhiteSpace(registryEndpoint) && string.IsNullOrWhiteSpace(builder.Configuration[EndpointKey]))
        {
            return builder;
        }

        if (!string.IsNullOrWhiteSpace(registryEndpoint))
        {
            // The exporter reads the standard key from configuration, and appends each signal's path when the protocol is http/protobuf.
            builder.Configuration.AddInMemoryCollection([new(EndpointKey, registryEndpoint)]);
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "modelregistry",
                serviceVersion: typeof(TelemetryExport).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics => metrics
                .AddMeter(RegistryMetrics.MeterName, "Npgsql")
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddOtlpExporter())
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddSource("Npgsql")
                .AddOtlpExporter());
        return builder;
    }
}
