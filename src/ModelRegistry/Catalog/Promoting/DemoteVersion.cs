namespace ModelRegistry.Catalog.Promoting;

internal sealed record DemoteVersion(string Name, int Version)
{
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
