using ModelRegistry.Access;
using Microsoft.Extensions.Options;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.Downloads.State;
using Wolverine.Attributes;

namespace ModelRegistry.Downloads.Cleaning;

/// <summary>
/// A file the cleanup deleted: its path relative to the storage root, <c>incomplete</c> (a partial download or its sidecar),
/// <c>staging</c> (a publish copy) or <c>blob</c>, and its size.
/// </summary>
internal sealed record RemovedFile(string Path, string Kind, long SizeBytes);

internal sealed record CleanupReport(IReadOnlyList<RemovedFile> Removed, long RemovedBytes, int Kept);

/// <summary>
/// Deletes what downloads leave behind, once it is older than <c>Registry:Storage:CleanupAge</c>: partial files (and their
/// resume sidecars) and the <c>&lt;job id&gt;.publish</c> copies a publish cut short left in <c>.incomplete/</c>, when no
/// scheduled or running job owns them, and blobs in <c>blobs/sha256/</c> whose hash no version has or expects, in any status.
/// Nothing outside those two reserved directories is touched, whatever its name. It never goes through a symbolic link and
/// deletes only regular files; a file a live job or a version refers to is kept whatever its age.
/// </summary>
internal sealed class StorageCleaner(ArtifactStore artifacts, CatalogReader reader, DownloadRecords jobs, IOptions<RegistryOptions> options, TimeProvider clock)
{
    private const int RowsPerLookup = 1000;

    public async Task<CleanupReport> CleanAsync(CancellationToken ct)
    {
        var cutoff = (clock.GetUtcNow() - options.Value.Storage.CleanupAge).UtcDateTime;
        var leftovers = new List<(FileInfo File, string Kind)>();
        var kept = 0;
        foreach (var file in RegularFiles(StorageLayout.Incomplete))
        {
            if (file.LastWriteTimeUtc > cutoff || (JobIdOf(file.Name) is { } id && await jobs.GetAsync(id, ct) is { IsFinished: false }))
            {
                kept++;
            }
            else
            {
                leftovers.Add((file, file.Name.EndsWith(ArtifactStore.PublishCopySuffix, StringComparison.Ordinal) ? "staging" : "incomplete"));
            }
        }

        var blobs = RegularFiles(StorageLayout.Blobs, StorageLayout.Sha256).ToList();
        var old = blobs.Where(b => b.LastWriteTimeUtc <= cutoff && CatalogRules.Sha256Hex().IsMatch(b.Name)).ToList();
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in old.Chunk(RowsPerLookup))
        {
            referenced.UnionWith(await reader.ReferencedSha256sAsync(chunk.Select(b => b.Name).ToList(), ct));
        }

        var unreferenced = old.Where(b => !referenced.Contains(b.Name)).ToList();
        kept += blobs.Count - unreferenced.Count;
        leftovers.AddRange(unreferenced.Select(b => (b, "blob")));

        // Local sources may no longer point into the reserved directories, but a version registered before they could keeps its file.
        var pointedAt = await PointedAtAsync(leftovers.Select(l => l.File).ToList(), ct);
        kept += pointedAt.Count;
        var removed = leftovers.Where(l => !pointedAt.Contains(l.File.FullName)).Select(l => Remove(l.File, l.Kind)).ToList();
        return new CleanupReport(removed, removed.Sum(r => r.SizeBytes), kept);
    }

    /// <summary>The full names of those <paramref name="files"/> some version's <c>local_path</c> names, relative or absolute.</summary>
    private async Task<HashSet<string>> PointedAtAsync(IReadOnlyList<FileInfo> files, CancellationToken ct)
    {
        var pointedAt = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in files.Chunk(RowsPerLookup))
        {
            var inUse = await reader.LocalPathsInUseIgnoringCaseAsync([.. chunk.SelectMany(f => new[] { Relative(f), f.FullName })], ct);
            pointedAt.UnionWith(chunk.Where(f => inUse.Contains(Relative(f)) || inUse.Contains(f.FullName)).Select(f => f.FullName));
        }

        return pointedAt;
    }

    /// <summary>The regular files directly in a directory under the root, none when any directory on the way is a symbolic link.</summary>
    private IEnumerable<FileInfo> RegularFiles(params string[] segments)
    {
        var directory = artifacts.Root;
        foreach (var segment in segments)
        {
            directory = Path.Combine(directory, segment);
            if (new DirectoryInfo(directory) is not { Exists: true, LinkTarget: null })
            {
                return [];
            }
        }

        return new DirectoryInfo(directory)
            .EnumerateFiles("*", new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true })
            .Where(f => f.LinkTarget is null)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
    }

    private RemovedFile Remove(FileInfo file, string kind)
    {
        var size = file.Length;
        file.Delete();
        return new RemovedFile(Relative(file), kind, size);
    }

    private string Relative(FileInfo file) => Path.GetRelativePath(artifacts.Root, file.FullName).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>The job a file in <c>.incomplete/</c> belongs to: <c>&lt;job id&gt;.incomplete</c>, <c>.resume.json</c> or <c>.publish</c>.</summary>
    private static Guid? JobIdOf(string fileName) =>
        Guid.TryParseExact(fileName.Split('.')[0], "D", out var id) ? id : null;
}

internal static class CleanStorageEndpoint
{
    public static IEndpointRouteBuilder MapCleanStorage(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/storage/cleanup", (StorageCleaner cleaner, CancellationToken ct) => cleaner.CleanAsync(ct))
            .WithTags("Downloads").WithName("CleanStorage").RequireRole(Role.Admin)
            .WithSummary("Deletes orphaned partial downloads and publish copies in .incomplete/ and unreferenced blobs older than Registry:Storage:CleanupAge.");
        return app;
    }
}

/// <summary>An occurrence of the periodic storage cleanup (<c>Registry:Storage:CleanupInterval</c>, see <see cref="PeriodicSchedules"/>).</summary>
public sealed record RunStorageCleanup(DateTimeOffset Occurrence);

/// <summary>The periodic storage cleanup as Wolverine runs it; public because Wolverine's generated handler names it.</summary>
public interface IPeriodicStorageCleanup
{
    Task RunAsync(DateTimeOffset occurrence, CancellationToken ct);
}

/// <summary>Runs an occurrence once, even when two instances invoke it while Wolverine moves the schedule between them.</summary>
[Deduplicated]
public static class RunStorageCleanupHandler
{
    public static Task Handle(RunStorageCleanup message, IPeriodicStorageCleanup cleanup, CancellationToken cancellation) =>
        cleanup.RunAsync(message.Occurrence, cancellation);
}

internal sealed partial class PeriodicStorageCleanup(StorageCleaner cleaner, ILogger<PeriodicStorageCleanup> logger) : IPeriodicStorageCleanup
{
    public const string Schedule = "storage-cleanup";

    public async Task RunAsync(DateTimeOffset occurrence, CancellationToken ct)
    {
        var report = await cleaner.CleanAsync(ct);
        LogCleaned(logger, occurrence, report.Removed.Count, report.RemovedBytes, report.Kept);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "The periodic storage cleanup of {Occurrence:O} removed {Removed} files ({RemovedBytes} bytes) and kept {Kept}")]
    private static partial void LogCleaned(ILogger logger, DateTimeOffset occurrence, int removed, long removedBytes, int kept);
}
