using JasperFx.Events;
using Marten;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Promoting;

public sealed record Rollback(string Name) : IModelCommand
{
    public string StreamKey => CatalogStream.StreamId(Name);

    public CommandContext Context { get; init; } = CommandContext.None;

    public static IReadOnlyList<object> Decide(ModelState state, Rollback command, DateTimeOffset now)
    {
        state.RequireMutable(command.Name);
        if (state.ProductionVersion is null)
        {
            throw DomainErrors.Conflict("no-production-version", $"Model '{state.Name}' has no production version to roll back from.");
        }

        var previous = state.PreviousProductionVersion
            ?? throw DomainErrors.Conflict("no-previous-production", $"Model '{state.Name}' had no production version before version {state.ProductionVersion}.");
        return PromoteVersion.ToProduction(state, state.RequireVersion(previous), rollback: true);
    }
}

public static class RollbackHandler
{
    public static CommandDone Handle(Rollback command, [ModelStream] IEventStream<ModelState> model, IDocumentSession session, TimeProvider clock) =>
        model.Decide(command, session, state => Rollback.Decide(state, command, clock.GetUtcNow()));
}

internal static class RollbackEndpoint
{
    public static IEndpointRouteBuilder MapRollback(this IEndpointRouteBuilder models)
    {
        models.MapModel("POST", "rollback", (ModelName name, ReasonBody? body, HttpContext http, HttpCommands commands) =>
            commands.InvokeOnExistingAsync(http, name,
                context => new Rollback(name.Value) { Context = context },
                (state, _) => CatalogReplies.Model(state),
                body?.Reason))
            .WithNames("Rollback").WithSummary("Puts the version that was in production before the current one back.").Produces<ModelResource>();
        return models;
    }
}
