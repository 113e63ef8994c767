using JasperFx.Events;
using Marten;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Archiving;

public sealed record RestoreVersion(string Name, int Version) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(ModelState state, RestoreVersion command, DateTimeOffset now)
    {
        var target = state.RequireMutable(command.Name).RequireVersion(command.Version);
        return target.Stage == Stage.Archived ? [new VersionRestored(target.Version)] : [];
    }
}

public static class RestoreVersionHandler
{
    public static CommandDone Handle(RestoreVersion command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => RestoreVersion.Decide(state, command, clock.GetUtcNow()));
}

internal static class RestoreVersionEndpoint
{
    public static IEndpointRouteBuilder MapRestoreVersion(this IEndpointRouteBuilder models)
    {
        models.MapVersionCommand("restore", (name, version, context) => new RestoreVersion(name, version) { Context = context })
            .WithNames("RestoreVersion").WithSummary("Brings an archived version back to staging.");
        return models;
    }
}
