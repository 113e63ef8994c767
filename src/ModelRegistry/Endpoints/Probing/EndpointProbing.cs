using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ModelRegistry.Endpoints.Probing;

internal static class EndpointProbing
{
    /// <summary>
    /// The outbound side of endpoints: <c>Registry:Endpoints</c>, its allow-list and the one probe (with its one connection
    /// pool) every check and discovery goes through.
    /// </summary>
    public static IServiceCollection AddEndpointProbing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<EndpointsOptions>().Bind(configuration.GetSection(EndpointsOptions.Section));
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<EndpointsOptions>>().Value);
        services.TryAddSingleton(sp => new EndpointEgress(sp.GetRequiredService<EndpointsOptions>().AllowedHosts));
        services.TryAddSingleton<EndpointProbe>();
        return services;
    }
}
