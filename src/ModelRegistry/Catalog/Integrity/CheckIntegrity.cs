using ModelRegistry.Access;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Catalog.Sources;
using ModelRegistry.Common;
using Wolverine;
using Wolverine.Attributes;
using Wolverine.Runtime;

namespace ModelRegistry.Catalog.Integrity;

/// <summary>A version whose status a check changed.</summary>
internal sealed record IntegrityChange(string Name, int Version, string LocalPath, string PreviousStatus, string Status);

/// <summary>
/// What a check of every file found: how many versions were checked and how many of them are ready, missing or corrupted
/// now, the versions whose status changed, and how many could not be checked (an I/O error other than a missing file).
/// </summary>
internal sealed record IntegrityReport(int Checked, int Ready, int Missing, int Corrupted, int Unchecked, IReadOnlyList<IntegrityChange> Changed);

/// <summary>
/// Hashes a version's file again and records what it found through <see cref="RecordIntegrity"/>: <c>ArtifactMissing</c>,
/// <c>ArtifactCorrupted</c>, or <c>ArtifactVerified</c> when a missing or corrupted file is whole again. A file that still
/// matches appends nothing, so a daily check leaves the streams as they are. Files are found by
/// <see cref="LocalSource.FindRecordedAsync"/>, so a check never reads past the storage root or a file's recorded size.
/// </summary>
internal sealed partial class IntegrityChecker(IWolverineRuntime messaging, CatalogReader reader, LocalSource localSource,
    ILogger<IntegrityChecker> logger)
{
    public async Task<IntegrityReport> CheckAllAsync(CommandContext context, CancellationToken ct)
    {
        var statuses = new List<ArtifactStatus>();
        var changed = new List<IntegrityChange>();
        var failed = 0;
        foreach (var artifact in await reader.ArtifactsOnRecordAsync(ct))
        {
            try
            {
                var found = await localSource.FindRecordedAsync(artifact.LocalPath, artifact.SizeBytes, ct);
                var result = await new MessageBus(messaging).InvokeAsync<CommandDone>(
                    new RecordIntegrity(artifact.Name, artifact.Version, found) { Context = context }, ct);
                var status = result.State.Versions[artifact.Version].Status;
                statuses.Add(status);
                if (status != artifact.Status)
                {
                    changed.Add(new IntegrityChange(artifact.Name, artifact.Version, artifact.LocalPath,
                        CatalogResources.Lower(artifact.Status), CatalogResources.Lower(status)));
                }
            }
            catch (DomainException)
            {
                // The version changed since it was listed (e.g. a new download is under way): it is no longer this check's.
            }
            catch (IOException ex)
            {
                failed++;
                LogUnchecked(logger, artifact.Name, artifact.Version, ex);
            }
        }

        return new IntegrityReport(statuses.Count, statuses.Count(s => s == ArtifactStatus.Ready), statuses.Count(s => s == ArtifactStatus.Missing),
            statuses.Count(s => s == ArtifactStatus.Corrupted), failed, changed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Version {Version} of {Model} could not be checked")]
    private static partial void LogUnchecked(ILogger logger, string model, int version, Exception exception);
}

internal static class CheckIntegrityEndpoints
{
    /// <summary><c>POST …/versions/{v}/verify</c>: one version's file, answering the version as it is now.</summary>
    public static IEndpointRouteBuilder MapVerifyVersion(this IEndpointRouteBuilder models)
    {
        models.MapModel("POST", "versions/{version:int}/verify", VerifyAsync).WithNames("VerifyVersion").Produces<VersionResource>()
            .WithSummary("Hashes the version's file again; a missing, changed or restored file changes its status.");
        return models;
    }

    /// <summary><c>POST /api/v1/integrity</c>: every version's file, answering a report.</summary>
    public static IEndpointRouteBuilder MapCheckIntegrity(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/integrity", (HttpContext http, IntegrityChecker checker) =>
                checker.CheckAllAsync(RequestContext.Get(http).Context(http, "integrity check"), http.RequestAborted))
            .WithTags("Catalog").WithName("CheckIntegrity").RequireRole(Role.Admin)
            .WithSummary("Hashes every ready, missing or corrupted version's file again and records what changed.");
        return app;
    }

    private static Task<IResult> VerifyAsync(ModelName name, int version, HttpContext http, HttpCommands commands, LocalSource localSource,
        CatalogReader reader)
    {
        if (!CatalogRules.IsModelName(name.Value))
        {
            throw CatalogErrors.ModelNotFound(name.Value);
        }

        return commands.InvokeAsync(http,
            async (context, ct) => new RecordIntegrity(name.Value, version,
                await reader.GetVersionAsync(name.Value, version, null, ct) is { LocalPath: { } path } recorded
                    ? await localSource.FindRecordedAsync(path, recorded.SizeBytes, ct)
                    : new FileFound.Nothing()) { Context = context },
            (state, _) => CatalogReplies.Version(state, version));
    }
}

/// <summary>An occurrence of the periodic integrity check (<c>Registry:Integrity:Interval</c>, see <see cref="PeriodicSchedules"/>).</summary>
public sealed record RunIntegrityCheck(DateTimeOffset Occurrence);

/// <summary>The periodic integrity check as Wolverine runs it; public because Wolverine's generated handler names it.</summary>
public interface IPeriodicIntegrityCheck
{
    Task RunAsync(DateTimeOffset occurrence, CancellationToken ct);
}

/// <summary>Runs an occurrence once, even when two instances invoke it while Wolverine moves the schedule between them.</summary>
[Deduplicated]
public static class RunIntegrityCheckHandler
{
    public static Task Handle(RunIntegrityCheck message, IPeriodicIntegrityCheck check, CancellationToken cancellation) =>
        check.RunAsync(message.Occurrence, cancellation);
}

internal sealed partial class PeriodicIntegrityCheck(IntegrityChecker checker, ILogger<PeriodicIntegrityCheck> logger) : IPeriodicIntegrityCheck
{
    public const string Schedule = "integrity-check";

    public async Task RunAsync(DateTimeOffset occurrence, CancellationToken ct)
    {
        var report = await checker.CheckAllAsync(
            new CommandContext(SystemActors.Integrity, Guid.CreateVersion7().ToString(), null, "periodic integrity check"), ct);
        LogChecked(logger, occurrence, report.Checked, report.Changed.Count, report.Unchecked);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "The periodic integrity check of {Occurrence:O} checked {Checked} versions: {Changed} changed status, {Unchecked} could not be checked")]
    private static partial void LogChecked(ILogger logger, DateTimeOffset occurrence, int @checked, int changed, int @unchecked);
}
