using ModelRegistry.Access;
using Microsoft.Extensions.Options;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.EventStore.Jobs;
using Npgsql;

namespace ModelRegistry.Downloads.Cleaning;

/// <summary>A file the cleanup deleted: its path relative to the storage root, <c>incomplete</c>, <c>staging</c> or <c>blob</c>, and its size.</summary>
internal sealed record RemovedFile(string Path, string Kind, long SizeBytes);

internal sealed record CleanupReport(IReadOnlyList<RemovedFile> Removed, long RemovedBytes, int Kept);

/// <summary>
/// Deletes what downloads leave behind, once it is older than <c>Registry:Storage:CleanupAge</c>: partial files (and their
/// resume sidecars) in <c>.incomplete/</c> that no scheduled or running job owns, the <c>&lt;file&gt;.&lt;job id&gt;.tmp</c>
/// copies a publish that was cut short left next to a readable path (when no live job owns them), and blobs in
/// <c>blobs/sha256/</c> whose hash no version has or expects, in any status. It never goes through a symbolic link and
/// deletes only regular files; a file a live job or a version refers to is kept whatever its age.
/// </summary>
internal sealed class StorageCleaner(ArtifactStore artifacts, CatalogReader reader, IJobQueue jobs, IOptions<RegistryOptions> options, TimeProvider clock)
{
    private const int HashesPerLookup = 1000;

    public async Task<CleanupReport> CleanAsync(CancellationToken ct)
    {
        var cutoff = (clock.GetUtcNow() - options.Value.Storage.CleanupAge).UtcDateTime;
        var removed = new List<RemovedFile>();
        var kept = 0;
        foreach (var file in RegularFiles(".incomplete"))
        {
            if (file.LastWriteTimeUtc > cutoff || (JobIdOf(file.Name) is { } id && await jobs.GetAsync(id, ct) is { IsFinished: false }))
            {
                kept++;
            }
            else
            {
                removed.Add(Remove(file, "incomplete"));
            }
        }

        foreach (var file in StagingFiles())
        {
            if (file.File.LastWriteTimeUtc > cutoff || await jobs.GetAsync(file.Job, ct) is { IsFinished: false })
            {
                kept++;
            }
            else
            {
                removed.Add(Remove(file.File, "staging"));
            }
        }

        var blobs = RegularFiles("blobs", "sha256").ToList();
        var old = blobs.Where(b => b.LastWriteTimeUtc <= cutoff && CatalogRules.Sha256Hex().IsMatch(b.Name)).ToList();
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in old.Chunk(HashesPerLookup))
        {
            referenced.UnionWith(await reader.ReferencedSha256sAsync(chunk.Select(b => b.Name).ToList(), ct));
        }

        var unreferenced = old.Where(b => !referenced.Contains(b.Name)).ToList();
        kept += blobs.Count - unreferenced.Count;
        removed.AddRange(unreferenced.Select(b => Remove(b, "blob")));
        return new CleanupReport(removed, removed.Sum(r => r.SizeBytes), kept);
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

    /// <summary>
    /// The publish copies (<see cref="ArtifactStore.StagingPath"/>) anywhere under the root but in
    /// <c>.incomplete/</c> and <c>blobs/</c>, reached without going through a symbolic link.
    /// </summary>
    private List<(FileInfo File, Guid Job)> StagingFiles()
    {
        var found = new List<(FileInfo File, Guid Job)>();
        var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true };
        var root = new DirectoryInfo(artifacts.Root);
        var pending = new Stack<DirectoryInfo>([root]);
        while (pending.TryPop(out var directory))
        {
            if (directory is not { Exists: true, LinkTarget: null })
            {
                continue;
            }

            foreach (var entry in directory.EnumerateFileSystemInfos("*", options).Where(e => e.LinkTarget is null))
            {
                if (entry is DirectoryInfo sub && !(directory == root && sub.Name is ".incomplete" or "blobs"))
                {
                    pending.Push(sub);
                }
                else if (entry is FileInfo file && ArtifactStore.StagingJobOf(file.Name) is { } job)
                {
                    found.Add((file, job));
                }
            }
        }

        return [.. found.OrderBy(f => f.File.FullName, StringComparer.Ordinal)];
    }

    private RemovedFile Remove(FileInfo file, string kind)
    {
        var size = file.Length;
        file.Delete();
        return new RemovedFile(Path.GetRelativePath(artifacts.Root, file.FullName).Replace(Path.DirectorySeparatorChar, '/'), kind, size);
    }

    /// <summary>The job a partial file or its sidecar belongs to: <c>&lt;job id&gt;.incomplete</c>, <c>&lt;job id&gt;.resume.json</c>.</summary>
    private static Guid? JobIdOf(string fileName) =>
        Guid.TryParseExact(fileName.Split('.')[0], "D", out var id) ? id : null;
}

internal static class CleanStorageEndpoint
{
    public static IEndpointRouteBuilder MapCleanStorage(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/storage/cleanup", (StorageCleaner cleaner, CancellationToken ct) => cleaner.CleanAsync(ct))
            .WithTags("Downloads").WithName("CleanStorage").RequireRole(Role.Admin)
            .WithSummary("Deletes orphaned partial downloads, publish copies a crash left and unreferenced blobs older than Registry:Storage:CleanupAge.");
        return app;
    }
}

/// <summary>Runs the cleanup each <c>Registry:Storage:CleanupInterval</c> (one instance at a time; zero turns it off).</summary>
internal sealed class StorageCleanupMonitor(StorageCleaner cleaner, IOptions<RegistryOptions> options, NpgsqlDataSource dataSource, TimeProvider clock,
    ILogger<StorageCleanupMonitor> logger) : PeriodicWork(dataSource, clock, logger)
{
    protected override TimeSpan Interval => options.Value.Storage.CleanupInterval;

    protected override string LockName => "modelregistry:storage-cleanup";

    protected override Task RunAsync(CancellationToken ct) => cleaner.CleanAsync(ct);
}
