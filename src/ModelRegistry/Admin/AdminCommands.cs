using ModelRegistry.Access;
using ModelRegistry.Common;
using ModelRegistry.EventStore.Projections;
using ModelRegistry.EventStore;

namespace ModelRegistry.Admin;

/// <summary>`projections list|rebuild [name]`, `db migrate` and `keys create|list|revoke`: the same executable, no HTTP.</summary>
internal static class AdminCommands
{
    public static async Task<bool> TryRunAsync(WebApplication app, string[] args)
    {
        var words = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        if (words.Length == 0 || words[0] is not ("projections" or "db" or "keys"))
        {
            return false;
        }

        using var scope = app.Services.CreateScope();
        var services = scope.ServiceProvider;
        await services.MigrateEventStoreAsync();
        try
        {
            await RunAsync(services, words);
        }
        catch (DomainException refused)
        {
            await Console.Error.WriteLineAsync(refused.Message);
            Environment.ExitCode = 1;
        }

        return true;
    }

    private static async Task RunAsync(IServiceProvider services, string[] words)
    {
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
            case ["keys", "create", var name, var roleName] when new CreateKeyRequestValidator().Validate(new CreateKeyRequest(name, roleName)) is { IsValid: false } invalid:
                await Console.Error.WriteLineAsync(string.Join(Environment.NewLine, invalid.Errors.Select(e => $"{e.PropertyName}: {e.ErrorMessage}")));
                Environment.ExitCode = 1;
                break;
            case ["keys", "create", var name, var roleName] when ApiKeyStore.TryParseRole(roleName, out var role):
                var issued = await services.GetRequiredService<ApiKeyStore>().CreateAsync(name, role, "cli", CancellationToken.None);
                Console.WriteLine($"{issued.Stored.Name} ({roleName}): {issued.Secret}");
                Console.WriteLine("The key is shown only now; store it safely.");
                break;
            case ["keys", "list"]:
                foreach (var key in await services.GetRequiredService<ApiKeyStore>().ListAsync(CancellationToken.None))
                {
                    Console.WriteLine($"{key.Name,-32} {ApiKeyStore.Lower(key.Role),-9} created {key.CreatedAt:O} by {key.CreatedBy ?? "-"}{(key.RevokedAt is { } at ? $" revoked {at:O}" : "")}");
                }

                break;
            case ["keys", "revoke", var name]:
                if (!await services.GetRequiredService<ApiKeyStore>().RevokeAsync(name, "cli", CancellationToken.None))
                {
                    await Console.Error.WriteLineAsync($"{name}: no such key.");
                    Environment.ExitCode = 1;
                }
                else
                {
                    Console.WriteLine($"{name}: revoked.");
                }

                break;
            default:
                await Console.Error.WriteLineAsync(
                    "usage: projections list | projections rebuild [name…] | db migrate | keys create <name> --role reader|publisher|admin | keys list | keys revoke <name>");
                Environment.ExitCode = 2;
                break;
        }
    }
}
