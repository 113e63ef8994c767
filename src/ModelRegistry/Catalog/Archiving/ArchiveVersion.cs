using JasperFx.Events;
using Marten;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Archiving;

public sealed record ArchiveVersion(string Name, int Version) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

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

public static class ArchiveVersionHandler
{
    public static CommandDone Handle(ArchiveVersion command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => ArchiveVersion.Decide(state, command, clock.GetUtcNow()));
}

internal static class ArchiveVersionEndpoint
{
    public static IEndpointRouteBuilder MapArchiveVersion(this IEndpointRouteBuilder models)
    {
        models.MapVersionCommand("archive", (name, version, context) => new ArchiveVersion(name, version) { Context = context })
            .WithNames("ArchiveVersion").WithSummary("Archives a version that is not in production.");
        return models;
    }
}
