using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Integrity;

/// <summary>What a check found where a version's file belongs.</summary>
internal abstract record FileFound
{
    /// <summary>No file there.</summary>
    public sealed record Nothing : FileFound;

    /// <summary>
    /// Something that is not the version's file and was not read to its end: a link out of the storage root, a device, a fifo,
    /// or a file longer than recorded. Nothing about it is recorded, since it may be a file the registry must not disclose.
    /// </summary>
    public sealed record SomethingElse : FileFound;

    public sealed record Hashed(string Sha256) : FileFound;
}

internal sealed record RecordIntegrity(string Name, int Version, FileFound Found)
{
    public static IReadOnlyList<object> Decide(ModelState state, RecordIntegrity command, DateTimeOffset now)
    {
        var target = state.RequireExisting(command.Name).RequireVersion(command.Version);
        if (target is not { Status: ArtifactStatus.Ready or ArtifactStatus.Missing or ArtifactStatus.Corrupted, Sha256: { } expected })
        {
            throw DomainErrors.Conflict("no-artifact", $"Version {target.Version} of '{state.Name}' has no downloaded file to check.");
        }

        var actual = (command.Found as FileFound.Hashed)?.Sha256.ToLowerInvariant();
        return (command.Found, target.Status) switch
        {
            (FileFound.Nothing, ArtifactStatus.Missing) => [],
            (FileFound.Nothing, _) => [new ArtifactMissing(target.Version)],
            _ when actual == expected => target.Status == ArtifactStatus.Ready ? [] : [new ArtifactVerified(target.Version, expected)],
            (_, ArtifactStatus.Corrupted) => [],
            _ => [new ArtifactCorrupted(target.Version, expected, actual)],
        };
    }
}
