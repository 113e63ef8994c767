using ModelRegistry.EventStore.Projections;
using ModelRegistry.EventStore;

namespace ModelRegistry.Admin;

/// <summary>`projections list|rebuild [name]` and `db migrate`: the same executable, no HTTP.</summary>
internal static class AdminCommands
{
    public static async Task<bool> TryRunAsync(WebApplication app, string[] args)
    {
        var words = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        if (words.Length == 0 || words[0] is not ("projections" or "db"))
        {
            return false;
        }

        using var scope = app.Services.CreateScope();
        var services = scope.ServiceProvider;
        await services.MigrateEventStoreAsync();
        switch (words)
        {
            case ["db", "migrate"]:
                Console.WriteLine("Schema is up to date.");
                break;
            case ["projections", "list"]:
                foreach (var s in await services.GetRequiredService<IProjectionAdmin>().GetStatusAsync())
                {
                    Console.WriteLine($"{s.Name,-28} v{s.Version} {s.Lifecycle,-7} {s.State,-16} checkpoint {s.Checkpoint} head {s.Head} lag {s.Lag} {s.LastError}");
                }

                break;
            case ["projections", "rebuild", .. var names]:
                var admin = services.GetRequiredService<IProjectionAdmin>();
                var targets = names.Length > 0 ? names : (await admin.GetStatusAsync()).Select(s => s.Name).ToArray();
                foreach (var name in targets)
                {
                    Console.WriteLine(await admin.RequestRebuildAsync(name)
                        ? $"{name}: rebuild requested; the running daemon's leader performs it without read downtime."
                        : $"{name}: no such projection.");
                }

                break;
            default:
                await Console.Error.WriteLineAsync("usage: projections list | projections rebuild [name…] | db migrate");
                Environment.ExitCode = 2;
                break;
        }

        return true;
    }
}
