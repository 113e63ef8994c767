using ModelRegistry.Catalog.Reading;

namespace ModelRegistry.Catalog;

internal static class CatalogModule
{
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.AddCatalogReads();
        return services;
    }

    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder app)
    {
        app.MapCatalogReads();
        return app;
    }
}
