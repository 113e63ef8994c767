using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using ModelRegistry.Common;

namespace ModelRegistry.Downloads.Processing;

/// <summary>
/// The storage root's layout for downloads, all on one file system so every rename is atomic:
/// <c>.incomplete/&lt;job id&gt;.incomplete</c> while a download runs, <c>blobs/sha256/&lt;hex&gt;</c> once verified (each
/// content stored once), and a readable <c>&lt;model name&gt;/&lt;version&gt;/&lt;file name&gt;</c> hard-linked to the blob.
/// </summary>
internal sealed partial class ArtifactStore(IOptions<RegistryOptions> options)
{
    public string Root => Path.GetFullPath(options.Value.Storage.Root);

    public string IncompletePath(Guid jobId) => Path.Combine(Root, ".incomplete", $"{jobId}.incomplete");

    public string ResumePath(Guid jobId) => Path.Combine(Root, ".incomplete", $"{jobId}.resume.json");

    public string BlobPath(string sha256) => Path.Combine(Root, "blobs", "sha256", sha256);

    public void Discard(Guid jobId)
    {
        try
        {
            File.Delete(IncompletePath(jobId));
            File.Delete(ResumePath(jobId));
        }
        catch (DirectoryNotFoundException)
        {
            // Refused before its first byte (by the hub's listing, say): no download has made the partial directory yet.
        }
    }

    /// <summary>Where a version's file will be readable: <c>&lt;model name&gt;/&lt;version&gt;/&lt;file name&gt;</c>, relative to the root.</summary>
    public static string ReadablePath(string modelName, int version, string fileName) =>
        $"{modelName}/{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}/{SafeFileName(fileName)}";

    /// <summary>The verified file for <paramref name="sha256"/> when the store has it already (then nothing need be fetched).</summary>
    public long? StoredSize(string sha256) => new FileInfo(BlobPath(sha256)) is { Exists: true } blob ? blob.Length : null;

    /// <summary>
    /// Moves a verified (and fsynced) partial file into the blob store, links <paramref name="readablePath"/> to it and syncs
    /// both directories. Safe to repeat: the same content lands on the same blob, and the readable path is replaced atomically.
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

        var readable = Path.Combine(Root, readablePath.Replace('/', Path.DirectorySeparatorChar));
        var directory = Path.GetDirectoryName(readable)!;
        Directory.CreateDirectory(directory);
        var staging = StagingPath(readable, jobId);
        File.Delete(staging);
        if (!NativeFiles.TryHardLink(blob, staging))
        {
            File.Copy(blob, staging);
            using var copy = new FileStream(staging, FileMode.Open, FileAccess.ReadWrite);
            copy.Flush(flushToDisk: true);
        }

        File.Move(staging, readable, overwrite: true);
        NativeFiles.SyncDirectory(directory);
    }

    /// <summary>Where a publish copies the file before renaming it over the readable path: next to it, named after the job.</summary>
    public static string StagingPath(string readable, Guid jobId) => $"{readable}.{jobId}.tmp";

    /// <summary>The job whose publish copy a file is (<see cref="StagingPath"/>), or null for any other file.</summary>
    public static Guid? StagingJobOf(string fileName) =>
        fileName.EndsWith(".tmp", StringComparison.Ordinal) && fileName.Split('.') is { Length: >= 3 } parts
            && Guid.TryParseExact(parts[^2], "D", out var job)
            ? job
            : null;

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
