using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Promoting;

internal sealed record Rollback(string Name)
{
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

internal static class RollbackEndpoint
{
    public static IEndpointRouteBuilder MapRollback(this IEndpointRouteBuilder models)
    {
        models.MapModel("POST", "rollback", (ModelName name, ReasonBody? body, HttpContext http, HttpCommands commands) =>
            commands.RunOnExistingAsync(http, name,
                (state, now) => Rollback.Decide(state, new Rollback(name.Value), now),
                (state, _) => CatalogReplies.Model(state),
                body?.Reason))
            .WithNames("Rollback").WithSummary("Puts the version that was in production before the current one back.").Produces<ModelResource>();
        return models;
    }
}
