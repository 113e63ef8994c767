using JasperFx.Events;
using Marten;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Downloading;

public sealed record StartDownload(string Name, int Version, Guid JobId) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(ModelState state, StartDownload command, DateTimeOffset now)
    {
        var target = state.RequireExisting(command.Name).RequireVersion(command.Version);
        return target switch
        {
            { Status: ArtifactStatus.Downloading } when target.DownloadJobId == command.JobId => [],
            { Status: ArtifactStatus.Downloading } => throw DownloadErrors.InProgress(state.Name, target),
            { Status: ArtifactStatus.Ready } => throw DownloadErrors.AlreadyReady(state.Name, target),
            _ => [new VersionDownloadStarted(target.Version, command.JobId)],
        };
    }
}

internal static class DownloadErrors
{
    public static DomainException InProgress(string name, VersionState version) =>
        DomainErrors.Conflict("download-in-progress", $"Version {version.Version} of '{name}' is being downloaded by job {version.DownloadJobId}.");

    public static DomainException AlreadyReady(string name, VersionState version) =>
        DomainErrors.Conflict("version-already-ready", $"Version {version.Version} of '{name}' is already downloaded.");
}

public static class StartDownloadHandler
{
    public static CommandDone Handle(StartDownload command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => StartDownload.Decide(state, command, clock.GetUtcNow()));
}
