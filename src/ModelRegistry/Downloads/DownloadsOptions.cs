namespace ModelRegistry.Downloads;

/// <summary><c>Registry:Downloads</c>: what downloads may reach and how much they may fetch.</summary>
internal sealed class DownloadsOptions
{
    public const string Section = "Registry:Downloads";

    /// <summary>
    /// Comma-separated hosts URL and hub downloads may reach (SPEC §7); a leading <c>*.</c> allows subdomains, a <c>:port</c>
    /// (<c>[IPv6]:port</c>) that port only, and no port 80 and 443 (and the hub endpoint's port on its host). Default: the hub.
    /// </summary>
    public string? AllowedHosts { get; set; }

    public long MaxSizeBytes { get; set; } = 512L * 1024 * 1024 * 1024;

    /// <summary>A response that sends nothing for this long is dropped and resumed.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Times one attempt reconnects and resumes after a dropped connection before the attempt fails.</summary>
    public int MaxReconnects { get; set; } = 5;

    public int MaxAttempts { get; set; } = 5;
}

/// <summary><c>Registry:HuggingFace</c>: the hub (or a mirror) and its token.</summary>
internal sealed class HuggingFaceOptions
{
    public const string Section = "Registry:HuggingFace";

    public string Endpoint { get; set; } = "https://huggingface.co";

    public string? Token { get; set; }

    public Uri EndpointUri => Uri.TryCreate(Endpoint.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
        ? uri
        : throw new InvalidOperationException($"Registry:HuggingFace:Endpoint '{Endpoint}' is not an http(s) URL.");
}
