using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Archiving;

internal sealed record ArchiveVersion(string Name, int Version)
{
    public static IReadOnlyList<object> Decide(ModelState state, ArchiveVersion command, DateTimeOffset now)
    {
        var target = state.RequireMutable(command.Name).RequireVersion(command.Version);
        return target.Stage switch
        {
            Stage.Production => throw DomainErrors.Conflict("archive-production",
                $"Version {target.Version} of '{state.Name}' is in production; demote it before archiving."),
            Stage.Archived => [],
            _ => [new VersionArchived(target.Version)],
        };
    }
}

internal static class ArchiveVersionEndpoint
{
    public static IEndpointRouteBuilder MapArchiveVersion(this IEndpointRouteBuilder models)
    {
        models.MapVersionCommand("archive", (state, name, version, now) => ArchiveVersion.Decide(state, new ArchiveVersion(name, version), now))
            .WithNames("ArchiveVersion").WithSummary("Archives a version that is not in production.");
        return models;
    }
}
