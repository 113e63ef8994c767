using ModelRegistry.Catalog.Reading;

namespace ModelRegistry.Endpoints.Reading;

/// <summary>An endpoint that serves a catalog model: as which of its models, and matched how (by <c>sha256</c> or by <c>name</c>).</summary>
internal sealed record ServingEndpoint(
    string Id,
    string Name,
    string BaseUrl,
    EndpointType EndpointType,
    bool IsActive,
    HealthStatus HealthStatus,
    DateTimeOffset? LastHealthCheck,
    string ServedAs,
    string Match,
    int? Version);

internal sealed record ServingResource(string Model, int? Version, IReadOnlyList<ServingEndpoint> Endpoints);

/// <summary>
/// Links what endpoints report to the catalog, through the catalog's own reader: a discovered model whose digest is a version's
/// SHA-256 serves that version; one whose name is the model's (ignoring case, an Ollama tag after <c>:</c> and an <c>hf.co/</c>
/// prefix), or the last part of it, serves the model. Only endpoints the caller sees are listed.
/// </summary>
internal sealed class ServingEndpoints(CatalogReader catalog, EndpointReader endpoints)
{
    private const int MaxVersionsRead = 10_000;

    public async Task<ServingResource?> FindAsync(Caller caller, string model, int? version, CancellationToken ct)
    {
        if (await catalog.GetModelAsync(model, null, 0, null, ct) is not { } found)
        {
            return null;
        }

        var sha256s = new Dictionary<string, int>(StringComparer.Ordinal);
        if (version is { } v)
        {
            if (await catalog.GetVersionAsync(found.Name, v, null, ct) is not { } one)
            {
                return null;
            }

            if (one.Sha256 is { } sha)
            {
                sha256s[sha] = v;
            }
        }
        else
        {
            await foreach (var each in VersionsAsync(found.Name, ct))
            {
                if (each.Sha256 is { } sha)
                {
                    sha256s.TryAdd(sha, each.Version);
                }
            }
        }

        var serving = new List<ServingEndpoint>();
        foreach (var (endpoint, models) in await endpoints.ListWithModelsAsync(caller, ct))
        {
            foreach (var discovered in models)
            {
                (string? Match, int? Version) link = discovered.Digest is { } digest && sha256s.TryGetValue(digest, out var at) ? ("sha256", at)
                    : NamesMatch(discovered.Name, found.Name) ? ("name", null)
                    : (null, null);
                var (match, served) = link;
                if (match is not null)
                {
                    serving.Add(new ServingEndpoint(endpoint.Id, endpoint.Name, endpoint.BaseUrl, endpoint.EndpointType, endpoint.IsActive,
                        endpoint.HealthStatus, endpoint.LastHealthCheck, discovered.Name, match, served));
                }
            }
        }

        return new ServingResource(found.Name, version, serving);
    }

    /// <summary>Whether an endpoint's model name names the catalog model <paramref name="model"/>.</summary>
    public static bool NamesMatch(string discovered, string model)
    {
        var name = discovered.Trim();
        if (name.StartsWith("hf.co/", StringComparison.OrdinalIgnoreCase))
        {
            name = name["hf.co/".Length..];
        }

        var tag = name.LastIndexOf(':');
        if (tag > 0)
        {
            name = name[..tag];
        }

        var last = model[(model.LastIndexOf('/') + 1)..];
        return string.Equals(name, model, StringComparison.OrdinalIgnoreCase) || string.Equals(name, last, StringComparison.OrdinalIgnoreCase);
    }

    private async IAsyncEnumerable<VersionResource> VersionsAsync(string model, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        int? before = null;
        var read = 0;
        while (read < MaxVersionsRead && await catalog.GetVersionsAsync(model, null, ReadQuery.MaxLimit, before, ct) is { Items.Count: > 0 } page)
        {
            foreach (var version in page.Items)
            {
                read++;
                yield return version;
            }

            if (page.NextCursor is null)
            {
                yield break;
            }

            before = page.Items[^1].Version;
        }
    }
}
