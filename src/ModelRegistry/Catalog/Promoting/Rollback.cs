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
