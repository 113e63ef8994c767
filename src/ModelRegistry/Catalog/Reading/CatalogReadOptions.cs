namespace ModelRegistry.Catalog.Reading;

/// <summary>Tuning of the read side, bound from <c>Registry:Catalog</c>.</summary>
internal sealed class CatalogReadOptions
{
    public const string Section = "Registry:Catalog";

    /// <summary>The longest a cached production pointer is served without re-reading it.</summary>
    public TimeSpan ProductionCacheTtl { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a production watch sends a comment to keep proxies from closing it, and re-reads the stream.</summary>
    public TimeSpan WatchHeartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Whether this instance listens for other instances' changes (LISTEN/NOTIFY).</summary>
    public bool ListenForChanges { get; set; } = true;

    /// <summary>
    /// How many versions, newest first, a model resource embeds unless the request says (versions_limit); the rest are
    /// a cursor away. Kept small so a model with ten thousand versions reads about as fast as one with ten.
    /// </summary>
    public int EmbeddedVersions { get; set; } = 20;
}
