using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using ModelRegistry.Common;

namespace ModelRegistry.Downloads.Processing;

/// <summary>
/// The storage root's layout for downloads, all on one file system so every rename is atomic:
/// <c>.incomplete/&lt;job id&gt;.incomplete</c> while a download runs, <c>blobs/sha256/&lt;hex&gt;</c> once verified (each
/// content stored once), and a readable <c>&lt;model name&gt;/&lt;version&gt;/&lt;file name&gt;</c> hard-linked to the blob
/// (copied through <c>.incomplete/&lt;job id&gt;.publish</c> where links are unsupported). A readable path is only ever
/// created, never replaced: whatever is at it belongs to someone else.
/// </summary>
internal sealed partial class ArtifactStore(IOptions<RegistryOptions> options)
{
    public const string PublishCopySuffix = ".publish";

    /// <summary>How many names a publish tries beside the first before it gives up: <c>&lt;stem&gt;-2&lt;ext&gt;</c> and on.</summary>
    private const int AlternativeNames = 99;

    /// <summary>The error number of a link whose name exists (Linux, macOS and the BSDs agree).</summary>
    private const int AlreadyExists = 17;

    public string Root => Path.GetFullPath(options.Value.Storage.Root);

    public string IncompletePath(Guid jobId) => Path.Combine(Root, StorageLayout.Incomplete, $"{jobId}.incomplete");

    public string ResumePath(Guid jobId) => Path.Combine(Root, StorageLayout.Incomplete, $"{jobId}.resume.json");

    /// <summary>Where a publish copies the blob before moving it to the readable path, when hard links are unsupported.</summary>
    public string PublishCopyPath(Guid jobId) => Path.Combine(Root, StorageLayout.Incomplete, $"{jobId}{PublishCopySuffix}");

    public string BlobPath(string sha256) => Path.Combine(Root, StorageLayout.Blobs, StorageLayout.Sha256, sha256);

    /// <summary>A path relative to the root with '/' separators, made absolute.</summary>
    public string AbsolutePath(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public void Discard(Guid jobId)
    {
        try
        {
            File.Delete(IncompletePath(jobId));
            File.Delete(ResumePath(jobId));
            File.Delete(PublishCopyPath(jobId));
        }
        catch (DirectoryNotFoundException)
        {
            // Refused before its first byte (by the hub's listing, say): no download has made the partial directory yet.
        }
    }

    /// <summary>Where a version's file is readable first: <c>&lt;model name&gt;/&lt;version&gt;/&lt;file name&gt;</c>, relative to the root.</summary>
    public static string ReadablePath(string modelName, int version, string fileName) =>
        $"{modelName}/{version.ToString(CultureInfo.InvariantCulture)}/{SafeFileName(fileName)}";

    /// <summary>
    /// Where a version's file may be readable, best first: <see cref="ReadablePath"/>, then the same name with <c>-2</c>,
    /// <c>-3</c> … before its extension, for when a name is taken.
    /// </summary>
    public static IReadOnlyList<string> ReadablePaths(string modelName, int version, string fileName)
    {
        var first = ReadablePath(modelName, version, fileName);
        var extension = Path.GetExtension(first);
        var stem = first[..^extension.Length];
        return [first, .. Enumerable.Range(2, AlternativeNames).Select(n => $"{stem}-{n.ToString(CultureInfo.InvariantCulture)}{extension}")];
    }

    /// <summary>Whether anything is at a readable path: a file, a directory or a link, even one that leads nowhere.</summary>
    public bool IsTaken(string readablePath)
    {
        var path = AbsolutePath(readablePath);
        return File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;
    }

    /// <summary>The verified file for <paramref name="sha256"/> when the store has it already (then nothing need be fetched).</summary>
    public long? StoredSize(string sha256) => new FileInfo(BlobPath(sha256)) is { Exists: true } blob ? blob.Length : null;

    /// <summary>
    /// Moves a verified (and fsynced) partial file into the blob store, links <paramref name="readablePath"/> to it and syncs
    /// both directories. The same content lands on the same blob; the readable path must be free (see <see cref="IsTaken"/>):
    /// when something has taken it meanwhile, this throws an <see cref="IOException"/> and leaves that file as it is.
    /// </summary>
    public void Publish(Guid jobId, string sha256, long size, string readablePath)
    {
        var partial = IncompletePath(jobId);
        var blob = BlobPath(sha256);
        var blobs = Path.GetDirectoryName(blob)!;
        Directory.CreateDirectory(blobs);
        if (File.Exists(partial))
        {
            if (StoredSize(sha256) == size)
            {
                File.Delete(partial);
            }
            else
            {
                File.Move(partial, blob, overwrite: true);
            }
        }
        else if (StoredSize(sha256) != size)
        {
            throw new FileNotFoundException("The verified download is neither in its partial file nor in the blob store.", blob);
        }

        NativeFiles.SyncDirectory(blobs);
        File.Delete(ResumePath(jobId));

        var readable = AbsolutePath(readablePath);
        var directory = Path.GetDirectoryName(readable)!;
        Directory.CreateDirectory(directory);
        if (!LinkNew(blob, readable))
        {
            var copy = PublishCopyPath(jobId);
            File.Delete(copy);
            File.Copy(blob, copy);
            using (var stream = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite))
            {
                stream.Flush(flushToDisk: true);
            }

            File.Move(copy, readable, overwrite: false);
        }

        NativeFiles.SyncDirectory(directory);
    }

    /// <summary>Takes a readable path published a moment ago away again (its version refused it); the blob stays, for cleanup to judge.</summary>
    public void Unpublish(string readablePath)
    {
        var readable = AbsolutePath(readablePath);
        File.Delete(readable);
        NativeFiles.SyncDirectory(Path.GetDirectoryName(readable)!);
    }

    /// <summary>Hard-links a new name to <paramref name="existing"/>; false where links are unsupported, an error when the name exists.</summary>
    private static bool LinkNew(string existing, string link) =>
        NativeFiles.TryHardLink(existing, link, out var error)
        || (error == AlreadyExists ? throw new IOException($"'{link}' exists already; a publish never replaces a file.") : false);

    /// <summary>The last segment of a remote path, reduced to letters, digits, '.', '_' and '-', never hidden or empty.</summary>
    public static string SafeFileName(string path)
    {
        var last = path.Split('/', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        var safe = Unsafe().Replace(Uri.UnescapeDataString(last), "_").TrimStart('.');
        safe = safe.Length > 200 ? safe[^200..] : safe;
        return safe.Length == 0 ? "model.bin" : safe;
    }

    [GeneratedRegex("[^A-Za-z0-9._-]", RegexOptions.CultureInvariant)]
    private static partial Regex Unsafe();
}
