namespace ModelRegistry.Catalog.Downloading;

internal sealed record CompleteDownload(
    string Name,
    int Version,
    Guid JobId,
    string LocalPath,
    long SizeBytes,
    string Sha256,
    string? ResolvedUri,
    string? ResolvedRevision,
    string? Etag)
{
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
