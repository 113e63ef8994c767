namespace ModelRegistry.Catalog.Reading;

/// <summary>Reads the catalog's projections (and, for as_of, the streams).</summary>
internal sealed class CatalogReader
{
    public Task<ModelResource?> GetModelAsync(string name, DateTimeOffset? asOf, CancellationToken ct) =>
        throw new NotImplementedException();

    public Task<VersionResource?> GetVersionAsync(string name, int version, DateTimeOffset? asOf, CancellationToken ct) =>
        throw new NotImplementedException();
}
