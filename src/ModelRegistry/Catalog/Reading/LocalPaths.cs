using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Reading;

/// <summary>Turns a path a client sent into the spellings a version's <c>local_path</c> may have.</summary>
internal static class LocalPaths
{
    private const int MaxLength = 4096;

    /// <summary>
    /// The path relative to the storage root (with '/' separators) and the same file as an absolute path.
    /// '..' segments, backslashes, control characters and absolute paths outside the root are refused.
    /// </summary>
    public static IReadOnlyList<string> Candidates(string? raw, string storageRoot)
    {
        if (string.IsNullOrWhiteSpace(raw))
        {
            throw Invalid("The path is required.");
        }

        if (raw.Length > MaxLength || raw.Any(char.IsControl) || raw.Contains('\\', StringComparison.Ordinal))
        {
            throw Invalid("The path may not contain control characters or backslashes.");
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(storageRoot));
        var segments = raw.Split('/');
        if (segments.Contains(".."))
        {
            throw Invalid("The path may not contain '..' segments.");
        }

        var relative = string.Join('/', segments.Where(s => s is not ("" or ".")));
        if (Path.IsPathRooted(raw))
        {
            var underRoot = Path.GetRelativePath(root, "/" + relative);
            if (underRoot is "." or ".." || underRoot.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(underRoot))
            {
                throw Invalid("An absolute path must lie under the storage root.");
            }

            relative = underRoot.Replace(Path.DirectorySeparatorChar, '/');
        }

        if (relative.Length == 0)
        {
            throw Invalid("The path names no file.");
        }

        return [relative, Path.Combine(root, relative)];
    }

    private static DomainException Invalid(string detail) => DomainErrors.Invalid("path", "invalid-path", detail);
}
