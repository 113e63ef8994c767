using Microsoft.Extensions.Options;
using ModelRegistry.Catalog.Integrity;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Sources;

/// <summary>
/// A <c>local</c> source: a regular file under the storage root, named by a plain relative path (or, when
/// <c>Registry:Downloads:AllowFileUrls</c> is on, a <c>file://</c> URL). Anything that could leave the root is refused
/// before the file system is touched, and symbolic links are followed one component at a time, so a link anywhere
/// along the path that leads outside the root is refused too, and so is a file in the registry's own directories
/// (<see cref="StorageLayout"/>). The real path is then opened only if it is a regular file (<see cref="RegularFile"/>)
/// and hashed in one streaming pass.
/// </summary>
internal sealed class LocalSource(IOptions<RegistryOptions> options)
{
    private const int MaxLinkHops = 40;

    /// <summary>
    /// Resolves, checks and measures the file; refusals are 400s with a field error on <paramref name="field"/>. The measured
    /// path is relative to the storage root with '/' separators (absolute only for an allowed file:// URL outside the root).
    /// </summary>
    public async Task<MeasuredFile> MeasureAsync(string uri, string field, CancellationToken ct)
    {
        var root = RealRoot();
        var (requested, physical) = uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
            ? FromFileUrl(uri, root, field)
            : FromRelativePath(uri, root, field);

        if (IsReserved(requested, physical, root))
        {
            throw Refuse(field, "local-source-reserved",
                $"The local source lies in a directory the registry keeps for itself ({StorageLayout.Incomplete}/ or {StorageLayout.Blobs}/{StorageLayout.Sha256}/).");
        }

        var found = RegularFile.Open(physical, out var file);
        using (file)
        {
            switch (found)
            {
                case FoundAt.Nothing:
                    throw Refuse(field, "local-source-not-found", $"There is no file '{requested}' under the storage root.");
                case FoundAt.SomethingElse:
                    throw Refuse(field, "local-source-not-a-file", "The local source is not a regular file (a directory, device, fifo or socket).");
            }

            var (size, sha256) = (await FileSha256.ComputeAsync(file!, long.MaxValue, ct))!.Value;
            return size == 0
                ? throw Refuse(field, "local-source-not-a-file", "The local source is empty.")
                : new MeasuredFile(requested, size, sha256);
        }
    }

    /// <summary>
    /// What is at a version's recorded path now, found as registration found it: links that stay inside the root are
    /// followed, none that leads out of it is, nor any at an absolute path outside the root (recorded as its real path), and
    /// only a regular file is read, at most one byte past its recorded size.
    /// </summary>
    public async Task<FileFound> FindRecordedAsync(string localPath, long? sizeBytes, CancellationToken ct)
    {
        var physical = RecordedPhysicalPath(localPath);
        if (physical is null)
        {
            return new FileFound.SomethingElse();
        }

        var found = RegularFile.Open(physical, out var file);
        using (file)
        {
            return found switch
            {
                FoundAt.Nothing => new FileFound.Nothing(),
                FoundAt.RegularFile when await FileSha256.ComputeAsync(file!, sizeBytes ?? long.MaxValue, ct) is { } measured =>
                    new FileFound.Hashed(measured.Sha256),
                _ => new FileFound.SomethingElse(),
            };
        }
    }

    private string? RecordedPhysicalPath(string localPath)
    {
        if (Path.IsPathRooted(localPath))
        {
            return Resolve(localPath) == localPath ? localPath : null;
        }

        var root = RealRoot();
        return IsPlainRelativePath(localPath) && Resolve(Path.Combine(root, localPath)) is { } physical && IsUnder(physical, root) ? physical : null;
    }

    private string RealRoot()
    {
        var configured = Path.GetFullPath(options.Value.Storage.Root);
        Directory.CreateDirectory(configured);
        return Resolve(configured) ?? configured;
    }

    private static (string Requested, string Physical) FromRelativePath(string uri, string root, string field)
    {
        if (!IsPlainRelativePath(uri))
        {
            throw Refuse(field, "local-source-outside-root",
                "A local source is a path relative to the storage root: segments separated by '/', no '..', '.', '\\', '%', ':' or control characters.");
        }

        var physical = Resolve(Path.Combine(root, uri))
            ?? throw Refuse(field, "local-source-unresolvable", "The local source's symbolic links loop or nest too deeply.");
        if (!IsUnder(physical, root))
        {
            throw Refuse(field, "local-source-outside-root", "The local source leads outside the storage root.");
        }

        return (uri, physical);
    }

    private (string Requested, string Physical) FromFileUrl(string uri, string root, string field)
    {
        if (!options.Value.Downloads.AllowFileUrls)
        {
            throw Refuse(field, "file-urls-not-allowed", "file:// sources are not allowed here (Registry:Downloads:AllowFileUrls); use a path relative to the storage root.");
        }

        if (!Uri.TryCreate(uri, UriKind.Absolute, out var url) || !url.IsFile || !url.IsLoopback || url.Query.Length > 0 || url.Fragment.Length > 0
            || url.LocalPath.Any(char.IsControl) || url.Segments.Any(s => Uri.UnescapeDataString(s).TrimEnd('/') is "." or ".."))
        {
            throw Refuse(field, "invalid-file-url", "A file:// source is an absolute local path like file:///srv/models/model.gguf.");
        }

        var physical = Resolve(url.LocalPath)
            ?? throw Refuse(field, "local-source-unresolvable", "The local source's symbolic links loop or nest too deeply.");
        return IsUnder(physical, root)
            ? (Path.GetRelativePath(root, physical).Replace(Path.DirectorySeparatorChar, '/'), physical)
            : (physical, physical);
    }

    /// <summary>
    /// The physical path, like realpath(3): every component that is a symbolic link is replaced by its target, and
    /// '..' after a link climbs from where the link led, not from where it was. Null when links loop.
    /// </summary>
    private static string? Resolve(string absolutePath)
    {
        var full = Path.GetFullPath(absolutePath);
        var current = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse());
        var hops = 0;
        while (pending.TryPop(out var segment))
        {
            if (segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Join(current, segment);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                return null;
            }

            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target)!;
                target = target[current.Length..];
            }

            foreach (var part in target.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(part);
            }
        }

        return current;
    }

    /// <summary>
    /// Whether the file lies in the registry's own directories, by its name or through a link: cleanup deletes files there,
    /// so no version may point into them.
    /// </summary>
    private static bool IsReserved(string requested, string physical, string root) =>
        (!Path.IsPathRooted(requested) && StorageLayout.IsReserved(requested))
        || (IsUnder(physical, root) && StorageLayout.IsReserved(Path.GetRelativePath(root, physical)));

    private static bool IsPlainRelativePath(string uri) =>
        uri.Length > 0
        && !uri.Any(char.IsControl)
        && !uri.Contains('\\', StringComparison.Ordinal)
        && !uri.Contains('%', StringComparison.Ordinal)
        && !uri.Contains(':', StringComparison.Ordinal)
        && !uri.StartsWith('/')
        && !Path.IsPathRooted(uri)
        && !uri.Split('/').Any(segment => segment is "" or "." or "..");

    private static bool IsUnder(string path, string root) =>
        path.StartsWith(Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static DomainException Refuse(string field, string code, string detail) => DomainErrors.Invalid(field, code, detail);
}
