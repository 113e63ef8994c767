using JasperFx.CommandLine;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;

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
/// The registry's own projections (the catalog's read model), which run in the registry's projection daemon, not
/// Marten's: Marten's <c>projections</c> command does not see them.
/// </summary>
[Description("Lists the registry's projections with their progress, or requests rebuilds from the running daemon", Name = "registry-projections")]
public sealed class RegistryProjectionsCommand : JasperFxAsyncCommand<RegistryProjectionsInput>
{
    public RegistryProjectionsCommand()
    {
        Usage("List the projections with their progress (list)").Arguments(x => x.Action);
        Usage("Request rebuilds (rebuild [name…]); the running daemon's leader performs them").Arguments(x => x.Action, x => x.Names);
    }

    public override async Task<bool> Execute(RegistryProjectionsInput input)
    {
        using var host = input.BuildHost();
        using var scope = host.Services.CreateScope();
        var services = scope.ServiceProvider;
        await services.MigrateEventStoreAsync();
        var admin = services.GetRequiredService<IProjectionAdmin>();
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
                var targets = names.Length > 0 ? names : (await admin.GetStatusAsync()).Select(s => s.Name).ToArray();
                foreach (var name in targets)
                {
                    Console.WriteLine(await admin.RequestRebuildAsync(name)
                        ? $"{name}: rebuild requested; the running daemon's leader performs it without read downtime."
                        : $"{name}: no such projection.");
                }

                return true;
            default:
                await Console.Error.WriteLineAsync("usage: registry-projections list | registry-projections rebuild [name…]");
                return false;
        }
    }
}
