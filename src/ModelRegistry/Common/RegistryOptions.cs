namespace ModelRegistry.Common;

internal sealed class RegistryOptions
{
    public const string Section = "Registry";

    public StorageOptions Storage { get; set; } = new();

    public AuthOptions Auth { get; set; } = new();

    internal sealed class StorageOptions
    {
        public string Root { get; set; } = ".data/models";
    }

    internal sealed class AuthOptions
    {
        public string? BootstrapAdminKey { get; set; }
    }
}
