using JasperFx.Events;
using Marten;
namespace ModelRegistry.Catalog.Downloading;

public sealed record FailDownload(string Name, int Version, Guid JobId, string Reason) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(ModelState state, FailDownload command, DateTimeOffset now)
    {
        var target = state.RequireExisting(command.Name).RequireVersion(command.Version);
        return target switch
        {
            { Status: ArtifactStatus.Ready or ArtifactStatus.Failed } => [],
            { Status: ArtifactStatus.Downloading } when target.DownloadJobId != command.JobId => [],
            _ => [new VersionDownloadFailed(target.Version, command.Reason)],
        };
    }
}

public static class FailDownloadHandler
{
    public static CommandDone Handle(FailDownload command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => FailDownload.Decide(state, command, clock.GetUtcNow()));
}
