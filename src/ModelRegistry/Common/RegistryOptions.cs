namespace ModelRegistry.Common;

internal sealed class RegistryOptions
{
    public const string Section = "Registry";

    public StorageOptions Storage { get; set; } = new();

    public AuthOptions Auth { get; set; } = new();

    public DownloadsOptions Downloads { get; set; } = new();

    public HttpOptions Http { get; set; } = new();

    internal sealed class StorageOptions
    {
        public string Root { get; set; } = ".data/models";
    }

    internal sealed class AuthOptions
    {
        public string? BootstrapAdminKey { get; set; }
    }

    internal sealed class DownloadsOptions
    {
        public bool AllowFileUrls { get; set; }
    }

    internal sealed class HttpOptions
    {
        public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;
    }
}
