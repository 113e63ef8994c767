namespace ModelRegistry.Endpoints.Probing;

// Placeholder of the outbound probe, replaced by the egress-checked one.
public sealed class EndpointProbe
{
    public Task<ProbeResult> ProbeAsync(EndpointType type, Uri baseUrl, string? apiKey, string? modelsPath, CancellationToken ct) =>
        throw new NotSupportedException();
}

internal static class EndpointProbingModule
{
    public static IServiceCollection AddEndpointProbing(this IServiceCollection services, IConfiguration configuration) =>
        services.AddSingleton<EndpointProbe>().AddSingleton<EndpointEgress>();
}
