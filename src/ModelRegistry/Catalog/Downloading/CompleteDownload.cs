using JasperFx.Events;
using Marten;

namespace ModelRegistry.Catalog.Downloading;

public sealed record CompleteDownload(
    string Name,
    int Version,
    Guid JobId,
    string LocalPath,
    long SizeBytes,
    string Sha256,
    string? ResolvedUri,
    string? ResolvedRevision,
    string? Etag) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

    /// <summary>The download's attempt that fetched the file: only the latest attempt may complete it.</summary>
    public int Attempt { get; init; }

    public static IReadOnlyList<object> Decide(ModelState state, CompleteDownload command, DateTimeOffset now)
    {
        var target = state.RequireExisting(command.Name).RequireVersion(command.Version);
        var sha256 = command.Sha256.ToLowerInvariant();
        return target switch
        {
            { Status: ArtifactStatus.Ready } when target.LocalPath == command.LocalPath && target.Sha256 == sha256 => [],
            { Status: ArtifactStatus.Ready } => throw DownloadErrors.AlreadyReady(state.Name, target),
            { Status: ArtifactStatus.Downloading } when target.DownloadJobId != command.JobId => throw DownloadErrors.InProgress(state.Name, target),
            { Sha256: { } expected } when expected != sha256 => throw CatalogErrors.Sha256Mismatch(expected, sha256),
            _ =>
            [
                new VersionDownloaded(target.Version, command.LocalPath, command.SizeBytes, sha256, now,
                    command.ResolvedUri, command.ResolvedRevision, command.Etag,
                    target.DuplicateOf is null ? state.VersionWithContent(sha256, except: target.Version) : null),
            ],
        };
    }
}

/// <summary>
/// The seam the Downloads module fills: the download's own state is finished in the transaction that records the file, and only
/// while the attempt that fetched it is still the download's latest, so a worker that lost its download cannot complete it late.
/// </summary>
public interface IDownloadCompletion
{
    Task CompleteAsync(IDocumentSession session, Guid downloadId, int attempt, CancellationToken ct);
}

/// <summary>Until the Downloads module fills the seam, nothing but the version records a download.</summary>
internal sealed class NoDownloadCompletion : IDownloadCompletion
{
    public Task CompleteAsync(IDocumentSession session, Guid downloadId, int attempt, CancellationToken ct) => Task.CompletedTask;
}

public static class CompleteDownloadHandler
{
    public static async Task<CommandDone> Handle(CompleteDownload command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session,
        IDownloadCompletion downloads, TimeProvider clock, CancellationToken cancellation)
    {
        var done = model.Decide(command, session, state => CompleteDownload.Decide(state, command, clock.GetUtcNow()));
        if (done.Events.Count > 0)
        {
            await downloads.CompleteAsync(session, command.JobId, command.Attempt, cancellation);
        }

        return done;
    }
}
