using JasperFx.Events;
using Marten;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Integrity;

/// <summary>What a check found where a version's file belongs.</summary>
public abstract record FileFound
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

public sealed record RecordIntegrity(string Name, int Version, FileFound Found) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

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

public static class RecordIntegrityHandler
{
    public static CommandDone Handle(RecordIntegrity command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => RecordIntegrity.Decide(state, command, clock.GetUtcNow()));
}
