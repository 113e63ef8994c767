using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Integrity;

internal sealed record RecordIntegrity(string Name, int Version, string? ActualSha256)
{
    public static IReadOnlyList<object> Decide(ModelState state, RecordIntegrity command, DateTimeOffset now)
    {
        var target = state.RequireExisting(command.Name).RequireVersion(command.Version);
        if (target is not { Status: ArtifactStatus.Ready or ArtifactStatus.Missing or ArtifactStatus.Corrupted, Sha256: { } expected })
        {
            throw DomainErrors.Conflict("no-artifact", $"Version {target.Version} of '{state.Name}' has no downloaded file to check.");
        }

        var actual = command.ActualSha256?.ToLowerInvariant();
        return (actual, target.Status) switch
        {
            (null, ArtifactStatus.Missing) => [],
            (null, _) => [new ArtifactMissing(target.Version)],
            _ when actual == expected => target.Status == ArtifactStatus.Ready ? [] : [new ArtifactVerified(target.Version, actual)],
            (_, ArtifactStatus.Corrupted) => [],
            _ => [new ArtifactCorrupted(target.Version, expected, actual)],
        };
    }
}
