using JasperFx.CommandLine;
using Marten;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace ModelRegistry.Admin;

/// <summary>The arguments of <c>key-ring</c>: <c>list</c> or <c>rotate</c>.</summary>
public sealed class KeyRingInput : NetCoreInput
{
    [Description("list or rotate")]
    public string Action { get; set; } = "";
}

/// <summary>Data Protection's key ring in the database (which encrypts endpoints' API keys), from the command line.</summary>
[Description("Lists Data Protection's keys, or adds one that becomes the default key in two days", Name = "key-ring")]
public sealed class KeyRingCommand : JasperFxAsyncCommand<KeyRingInput>
{
    /// <summary>
    /// How long a new key waits before it is used, as Data Protection's own new keys do: every instance reloads its ring at
    /// least daily, so each knows the key before any encrypts with it and none meets a key it cannot find.
    /// </summary>
    public static readonly TimeSpan Propagation = TimeSpan.FromDays(2);

    public KeyRingCommand()
    {
        Usage("List the keys, or add one (rotate)").Arguments(x => x.Action);
    }

    public override async Task<bool> Execute(KeyRingInput input)
    {
        using var host = input.BuildHost();
        await host.Services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var keys = host.Services.GetRequiredService<IKeyManager>();
        switch (input.Action)
        {
            case "list":
                foreach (var key in keys.GetAllKeys().OrderBy(k => k.ActivationDate))
                {
                    Console.WriteLine($"{key.KeyId} created {key.CreationDate:O} active from {key.ActivationDate:O} expires {key.ExpirationDate:O}"
                        + (key.IsRevoked ? " revoked" : ""));
                }

                return true;
            case "rotate":
                var activation = DateTimeOffset.UtcNow + Propagation;
                var lifetime = host.Services.GetRequiredService<IOptions<KeyManagementOptions>>().Value.NewKeyLifetime;
                var created = keys.CreateNewKey(activation, activation + lifetime);
                Console.WriteLine($"{created.KeyId}: the default key from {created.ActivationDate:O}, expires {created.ExpirationDate:O}; "
                    + "the keys before it stay to decrypt.");
                return true;
            default:
                await Console.Error.WriteLineAsync("usage: key-ring list | key-ring rotate");
                return false;
        }
    }
}
