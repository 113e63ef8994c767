namespace ModelRegistry.Common;

/// <summary>
/// The directories of the storage root the registry keeps for itself: <c>.incomplete/</c> (downloads in flight and their
/// publish copies) and <c>blobs/sha256/</c> (verified content). Storage cleanup deletes files there, so no version may
/// point into them. Names are compared ignoring case, as a case-insensitive file system would compare them.
/// </summary>
internal static class StorageLayout
{
    public const string Incomplete = ".incomplete";
    public const string Blobs = "blobs";
    public const string Sha256 = "sha256";

    /// <summary>Whether a path relative to the root ('/' or the platform's separator) lies in a reserved directory.</summary>
    public static bool IsReserved(string relative)
    {
        var segments = relative.Split(['/', Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        return (segments.Length > 1 && Same(segments[0], Incomplete))
            || (segments.Length > 2 && Same(segments[0], Blobs) && Same(segments[1], Sha256));
    }

    private static bool Same(string segment, string reserved) => string.Equals(segment, reserved, StringComparison.OrdinalIgnoreCase);
}
