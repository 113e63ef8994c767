using ModelRegistry.Access;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Catalog.Sources;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Processing;
using Wolverine;
using Wolverine.Runtime;

namespace ModelRegistry.Downloads.Scanning;

internal sealed record ScannedVersion(string Name, int Version, string LocalPath, long SizeBytes, string Sha256, string Format);

internal sealed record SkippedFile(string Path, string Reason);

/// <summary>
/// What a scan did: the versions it registered, how many model files the catalog knew already, the model files it did not
/// register and why, and how many other files it ignored.
/// </summary>
internal sealed record ScanReport(IReadOnlyList<ScannedVersion> Registered, int Known, int Skipped, IReadOnlyList<SkippedFile> SkippedFiles, int Ignored);

/// <summary>
/// Registers the model files under the storage root that no version points at, each as the next version of a model named
/// after the file's first directory (or, for a file at the top, its stem), with a <c>local</c> source. Model files are those
/// whose format the name tells (.gguf, .onnx, .safetensors, .pt, .pth, .bin); other files, hidden ones (<c>.incomplete/</c>
/// among them) and <c>blobs/</c> are ignored, and symbolic links to directories are not followed. A file whose content is
/// in the blob store is a download's (its hard link, or its copy) and keeps the version it was downloaded for; a file that
/// leads outside the root is refused by <see cref="LocalSource"/>. Scans may run at once, on one instance or several: a file is
/// registered only if no version of its model points at it yet (<see cref="RegisterVersion.IfNewPath"/>), so of two scans that
/// meet the same new file the model stream's version lets one register it and the other append nothing (it counts the file as
/// known). A copy of another version's file is a version of its own that names that version (<c>duplicate_of</c>).
/// </summary>
internal sealed partial class StorageScanner(
    IWolverineRuntime messaging,
    CatalogReader reader,
    LocalSource localSource,
    ArtifactStore artifacts,
    IOptions<RegistryOptions> options)
{
    private const int PathsPerLookup = 1000;

    public async Task<ScanReport> ScanAsync(CommandContext context, CancellationToken ct)
    {
        var root = Path.GetFullPath(options.Value.Storage.Root);
        Directory.CreateDirectory(root);
        var skipped = new List<SkippedFile>();
        var candidates = new List<string>();
        var ignored = 0;
        foreach (var (relative, entry) in Walk(root))
        {
            if (entry is DirectoryInfo)
            {
                skipped.Add(new SkippedFile(relative, "symlinked-directory"));
            }
            else if (RegisterVersion.InferFormat(new VersionSource(SourceType.Local, relative, null, null)) == ModelFormat.Other)
            {
                ignored++;
            }
            else
            {
                candidates.Add(relative);
            }
        }

        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in candidates.Chunk(PathsPerLookup))
        {
            known.UnionWith(await reader.KnownLocalPathsAsync(chunk.SelectMany(p => new[] { p, Path.Combine(root, p) }).ToList(), ct));
        }

        var registered = new List<ScannedVersion>();
        var knownCount = 0;
        foreach (var relative in candidates)
        {
            if (known.Contains(relative) || known.Contains(Path.Combine(root, relative)))
            {
                knownCount++;
            }
            else if (await RegisterAsync(relative, context, ct) is { } outcome)
            {
                if (outcome.Registered is { } version)
                {
                    registered.Add(version);
                }
                else
                {
                    skipped.Add(new SkippedFile(relative, outcome.Skipped!));
                }
            }
            else
            {
                knownCount++;
            }
        }

        return new ScanReport(registered, knownCount, skipped.Count, skipped, ignored);
    }

    /// <summary>The model a file found at <paramref name="relative"/> belongs to, or null when no valid name can be made of it.</summary>
    public static string? ModelNameFor(string relative)
    {
        var segments = relative.Split('/');
        var raw = segments.Length > 1 ? segments[0] : Path.GetFileNameWithoutExtension(segments[0]);
        var name = NotInName().Replace(raw, "-").TrimStart('.', '_', '-');
        name = name.Length > 96 ? name[..96] : name;
        return CatalogRules.IsModelName(name) ? name : null;
    }

    /// <summary>Registers a file, or says why it was not; null when a version points at it by now.</summary>
    private async Task<(ScannedVersion? Registered, string? Skipped)?> RegisterAsync(string relative, CommandContext context, CancellationToken ct)
    {
        MeasuredFile measured;
        try
        {
            measured = await localSource.MeasureAsync(relative, "path", ct);
        }
        catch (DomainException refused)
        {
            return (null, refused.Code.Replace("local-source-", "", StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return (null, "unreadable");
        }

        if (artifacts.StoredSize(measured.Sha256) is not null)
        {
            return (null, "downloaded");
        }

        if (ModelNameFor(relative) is not { } name)
        {
            return (null, "no-model-name");
        }

        var command = new RegisterVersion(name, null, new VersionSource(SourceType.Local, relative, null, null), null, null, VersionMetadata.Empty,
            context.Actor, measured) { Context = context, IfNewPath = true };
        try
        {
            var result = await new MessageBus(messaging).InvokeAsync<CommandDone>(command, ct);
            if (result.Events.Count == 0)
            {
                return null;
            }

            var version = result.Decided.OfType<VersionRegistered>().Single();
            return (new ScannedVersion(result.State.Name, version.Version, measured.LocalPath, measured.SizeBytes, measured.Sha256,
                CatalogResources.Lower(version.Format)), null);
        }
        catch (DomainException refused)
        {
            return (null, refused.Code);
        }
    }

    /// <summary>
    /// Regular files and symbolic links under the root (relative paths with '/'), in a stable order, without descending into
    /// hidden directories, <c>blobs/</c> or linked directories; a linked directory is returned itself, to be reported.
    /// </summary>
    private static IEnumerable<(string Relative, FileSystemInfo Entry)> Walk(string root)
    {
        var pending = new Stack<(string Physical, string Relative)>();
        pending.Push((root, ""));
        var options = new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true, RecurseSubdirectories = false };
        while (pending.TryPop(out var directory))
        {
            var entries = new DirectoryInfo(directory.Physical).EnumerateFileSystemInfos("*", options)
                .Where(e => !e.Name.StartsWith('.'))
                .OrderBy(e => e.Name, StringComparer.Ordinal)
                .ToList();
            foreach (var entry in entries.AsEnumerable().Reverse().OfType<DirectoryInfo>().Where(d => d.LinkTarget is null))
            {
                if (directory.Relative.Length > 0 || entry.Name != "blobs")
                {
                    pending.Push((entry.FullName, directory.Relative + entry.Name + "/"));
                }
            }

            foreach (var entry in entries.Where(e => e is FileInfo || e.LinkTarget is not null))
            {
                yield return (directory.Relative + entry.Name, entry);
            }
        }
    }

    [GeneratedRegex("[^A-Za-z0-9._-]", RegexOptions.CultureInvariant)]
    private static partial Regex NotInName();
}

internal static class ScanStorageEndpoint
{
    public static IEndpointRouteBuilder MapScanStorage(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/scan", (HttpContext http, StorageScanner scanner) =>
                scanner.ScanAsync(RequestContext.Get(http).Context(http, "storage scan"), http.RequestAborted))
            .WithTags("Downloads").WithName("ScanStorage").RequireRole(Role.Admin)
            .WithSummary("Registers the model files under the storage root that no version points at (source local).");
        return app;
    }
}
