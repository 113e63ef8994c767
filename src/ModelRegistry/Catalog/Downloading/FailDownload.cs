namespace ModelRegistry.Catalog.Downloading;

internal sealed record FailDownload(string Name, int Version, Guid JobId, string Reason)
{
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
