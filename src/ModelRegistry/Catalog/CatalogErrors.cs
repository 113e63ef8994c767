using ModelRegistry.Common;

namespace ModelRegistry.Catalog;

internal static class CatalogErrors
{
    public static DomainException ModelNotFound(string name) =>
        DomainErrors.NotFound("model-not-found", $"There is no model named '{name}'.");

    public static DomainException VersionNotFound(string name, int version) =>
        DomainErrors.NotFound("version-not-found", $"Model '{name}' has no version {version}.");

    public static DomainException ModelLocked(string name, string? reason) =>
        DomainErrors.Locked("model-locked", $"Model '{name}' is locked ({reason}); unlock it first.");

    public static DomainException VersionNotReady(string name, VersionState version) =>
        DomainErrors.RuleViolation("version-not-ready",
            $"Version {version.Version} of '{name}' is {Lower(version.Status)}; only a ready version can go to production.");

    public static DomainException VersionArchived(string name, int version) =>
        DomainErrors.RuleViolation("version-archived", $"Version {version} of '{name}' is archived; restore it first.");

    public static DomainException Sha256Mismatch(string expected, string actual) =>
        DomainErrors.Invalid("sha256", "sha256-mismatch", $"The file's SHA-256 is {actual}, not the expected {expected}.");

    public static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
