namespace ModelRegistry.Catalog.Reading;

internal static class ReadingModule
{
    public static IServiceCollection AddCatalogReads(this IServiceCollection services)
    {
        services.AddSingleton<CatalogReader>();
        return services;
    }

    public static IEndpointRouteBuilder MapCatalogReads(this IEndpointRouteBuilder app) => app;
}
