namespace ModelRegistry.Catalog.Archiving;

internal sealed record RestoreVersion(string Name, int Version)
{
    public static IReadOnlyList<object> Decide(ModelState state, RestoreVersion command, DateTimeOffset now)
    {
        var target = state.RequireMutable(command.Name).RequireVersion(command.Version);
        return target.Stage == Stage.Archived ? [new VersionRestored(target.Version)] : [];
    }
}
