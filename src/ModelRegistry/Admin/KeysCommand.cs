using JasperFx.CommandLine;
using ModelRegistry.Access;
using ModelRegistry.Common;
using Marten;

namespace ModelRegistry.Admin;

/// <summary>The arguments of <c>keys</c>: <c>create &lt;name&gt; &lt;role&gt;</c>, <c>list</c> or <c>revoke &lt;name&gt;</c>.</summary>
public sealed class KeysInput : NetCoreInput
{
    [Description("create, list or revoke")]
    public string Action { get; set; } = "";

    [Description("The key's name")]
    public string Name { get; set; } = "";

    [Description("The new key's role: reader, publisher or admin")]
    public string Role { get; set; } = "";

    [Description("The new key's role, in place of the role argument")]
    public string? RoleFlag { get; set; }
}

/// <summary>The registry's API keys from the command line, on the database directly: no HTTP, no key needed.</summary>
[Description("Creates, lists or revokes the registry's API keys", Name = "keys")]
public sealed class KeysCommand : JasperFxAsyncCommand<KeysInput>
{
    public KeysCommand()
    {
        Usage("List the keys").Arguments(x => x.Action);
        Usage("Revoke a key (revoke <name>), or create one with --role").Arguments(x => x.Action, x => x.Name);
        Usage("Create a key (create <name> <role>); the secret is printed once").Arguments(x => x.Action, x => x.Name, x => x.Role);
    }

    public override async Task<bool> Execute(KeysInput input)
    {
        using var host = input.BuildHost();
        using var scope = host.Services.CreateScope();
        var services = scope.ServiceProvider;
        await services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        var keys = services.GetRequiredService<ApiKeyStore>();
        try
        {
            return input.Action switch
            {
                "create" when input.Name.Length > 0 && (input.RoleFlag ?? input.Role) is { Length: > 0 } role => await CreateAsync(keys, input.Name, role),
                "list" when input.Name.Length == 0 => await ListAsync(keys),
                "revoke" when input.Name.Length > 0 && input.Role.Length == 0 => await RevokeAsync(keys, input.Name),
                _ => await UsageAsync(),
            };
        }
        catch (DomainException refused)
        {
            await Console.Error.WriteLineAsync(refused.Message);
            return false;
        }
    }

    private static async Task<bool> CreateAsync(ApiKeyStore keys, string name, string roleName)
    {
        if (new CreateKeyRequestValidator().Validate(new CreateKeyRequest(name, roleName)) is { IsValid: false } invalid)
        {
            await Console.Error.WriteLineAsync(string.Join(Environment.NewLine, invalid.Errors.Select(e => $"{e.PropertyName}: {e.ErrorMessage}")));
            return false;
        }

        if (!ApiKeyStore.TryParseRole(roleName, out var role))
        {
            return await UsageAsync();
        }

        var issued = await keys.CreateAsync(name, role, "cli", CancellationToken.None);
        Console.WriteLine($"{issued.Stored.Name} ({roleName}): {issued.Secret}");
        Console.WriteLine("The key is shown only now; store it safely.");
        return true;
    }

    private static async Task<bool> ListAsync(ApiKeyStore keys)
    {
        foreach (var key in await keys.ListAsync(CancellationToken.None))
        {
            Console.WriteLine($"{key.Name,-32} {ApiKeyStore.Lower(key.Role),-9} created {key.CreatedAt:O} by {key.CreatedBy ?? "-"}{(key.RevokedAt is { } at ? $" revoked {at:O}" : "")}");
        }

        return true;
    }

    private static async Task<bool> RevokeAsync(ApiKeyStore keys, string name)
    {
        if (!await keys.RevokeAsync(name, "cli", CancellationToken.None))
        {
            await Console.Error.WriteLineAsync($"{name}: no such key.");
            return false;
        }

        Console.WriteLine($"{name}: revoked.");
        return true;
    }

    private static async Task<bool> UsageAsync()
    {
        await Console.Error.WriteLineAsync("usage: keys create <name> <role> | keys list | keys revoke <name>   (role: reader, publisher or admin)");
        return false;
    }
}
