using JasperFx.Events;
using Marten;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Promoting;

public sealed record DemoteVersion(string Name, int Version) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(ModelState state, DemoteVersion command, DateTimeOffset now)
    {
        var target = state.RequireMutable(command.Name).RequireVersion(command.Version);
        return target.Stage switch
        {
            Stage.Production => [new VersionDemoted(target.Version, Stage.Production, Stage.Staging)],
            Stage.Archived => throw CatalogErrors.VersionArchived(state.Name, target.Version),
            _ => [],
        };
    }
}

public static class DemoteVersionHandler
{
    public static CommandDone Handle(DemoteVersion command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => DemoteVersion.Decide(state, command, clock.GetUtcNow()));
}

internal static class DemoteVersionEndpoint
{
    public static IEndpointRouteBuilder MapDemoteVersion(this IEndpointRouteBuilder models)
    {
        models.MapVersionCommand("demote", (name, version, context) => new DemoteVersion(name, version) { Context = context })
            .WithNames("DemoteVersion").WithSummary("Moves a production version back to staging; a staging version stays as it is.");
        return models;
    }
}
