using ModelRegistry.EventStore;

namespace ModelRegistry.Access;

/// <summary>API keys and their roles: who may read, publish and administer.</summary>
internal static class AccessModule
{
    public static IServiceCollection AddAccess(this IServiceCollection services)
    {
        services.AddMigration(ApiKeyStore.Migration);
        services.AddSingleton<ApiKeyStore>();
        services.AddRegistryAuthentication();
        return services;
    }

    public static IEndpointRouteBuilder MapAccess(this IEndpointRouteBuilder app) => app.MapKeys().MapWhoAmI();
}
