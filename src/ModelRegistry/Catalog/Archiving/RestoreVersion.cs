using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Archiving;

internal sealed record RestoreVersion(string Name, int Version)
{
    public static IReadOnlyList<object> Decide(ModelState state, RestoreVersion command, DateTimeOffset now)
    {
        var target = state.RequireMutable(command.Name).RequireVersion(command.Version);
        return target.Stage == Stage.Archived ? [new VersionRestored(target.Version)] : [];
    }
}

internal static class RestoreVersionEndpoint
{
    public static IEndpointRouteBuilder MapRestoreVersion(this IEndpointRouteBuilder models)
    {
        models.MapVersionCommand("restore", (state, name, version, now) => RestoreVersion.Decide(state, new RestoreVersion(name, version), now))
            .WithNames("RestoreVersion").WithSummary("Brings an archived version back to staging.");
        return models;
    }
}
