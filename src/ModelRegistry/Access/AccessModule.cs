using Marten;

namespace ModelRegistry.Access;

/// <summary>API keys and their roles: who may read, publish and administer.</summary>
internal static class AccessModule
{
    public static IServiceCollection AddAccess(this IServiceCollection services)
    {
        services.ConfigureMarten(o => o.Storage.ExtendedSchemaObjects.Add(ApiKeyStore.SchemaObject()));
        services.AddSingleton<ApiKeyStore>();
        services.AddRegistryAuthentication();
        return services;
    }

    public static IEndpointRouteBuilder MapAccess(this IEndpointRouteBuilder app) => app.MapKeys().MapWhoAmI();
}
