using JasperFx.CommandLine;
using Marten;
using ModelRegistry.Catalog.Reading;

namespace ModelRegistry.Admin;

/// <summary>The arguments of <c>registry-projections</c>: <c>list</c>, or <c>rebuild [name…]</c>.</summary>
public sealed class RegistryProjectionsInput : NetCoreInput
{
    [Description("list or rebuild")]
    public string Action { get; set; } = "";

    [Description("The projections to rebuild (all when none is named)")]
    public IEnumerable<string> Names { get; set; } = [];
}

/// <summary>
/// The registry's projections with their progress, and the catalog's rebuild without read downtime (into copies of its tables,
/// swapped in), run in this process while running instances keep serving and writing. Marten's own <c>projections</c> command
/// replays into the live tables instead.
/// </summary>
[Description("Lists the registry's projections with their progress, or rebuilds the catalog without read downtime", Name = "registry-projections")]
public sealed class RegistryProjectionsCommand : JasperFxAsyncCommand<RegistryProjectionsInput>
{
    public RegistryProjectionsCommand()
    {
        Usage("List the projections with their progress (list)").Arguments(x => x.Action);
        Usage("Rebuild (rebuild [name…]) in this process; running instances keep serving").Arguments(x => x.Action, x => x.Names);
    }

    public override async Task<bool> Execute(RegistryProjectionsInput input)
    {
        using var host = input.BuildHost();
        using var scope = host.Services.CreateScope();
        var services = scope.ServiceProvider;
        await services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var admin = services.GetRequiredService<ProjectionAdmin>();
        var rebuilder = services.GetRequiredService<CatalogRebuilder>();
        var names = input.Names.ToArray();
        switch (input.Action)
        {
            case "list" when names.Length == 0:
                foreach (var s in await admin.GetStatusAsync())
                {
                    Console.WriteLine($"{s.Name,-28} v{s.Version} {s.Lifecycle,-7} {s.State,-16} checkpoint {s.Checkpoint} head {s.Head} lag {s.Lag} {s.LastError}");
                }

                return true;
            case "rebuild":
                var targets = names.Length > 0 ? names : [CatalogProjection.ProjectionName];
                foreach (var name in targets)
                {
                    if (!string.Equals(name, CatalogProjection.ProjectionName, StringComparison.OrdinalIgnoreCase))
                    {
                        Console.WriteLine(admin.Names.Contains(name)
                            ? $"{name}: Marten's own projection; rebuild it with `projections rebuild -p {name}`."
                            : $"{name}: no such projection.");
                        continue;
                    }

                    var state = await rebuilder.RebuildNowAsync(CancellationToken.None);
                    Console.WriteLine(state.State == ProjectionStates.Running
                        ? $"{name}: rebuilt up to position {state.RebuiltUpTo} and swapped in without read downtime."
                        : $"{name}: the rebuild failed: {state.LastError}");
                }

                return true;
            default:
                await Console.Error.WriteLineAsync("usage: registry-projections list | registry-projections rebuild [name…]");
                return false;
        }
    }
}
