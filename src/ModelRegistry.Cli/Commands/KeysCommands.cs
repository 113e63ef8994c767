using System.CommandLine;
using ModelRegistry.Cli.Rendering;

namespace ModelRegistry.Cli.Commands;

/// <summary><c>keys create|list|revoke</c>: the registry's API keys (admin).</summary>
internal static class KeysCommands
{
    public static Command Create(CliContext context) =>
        new("keys", "API keys (admin): create one, list them, revoke one") { New(context), List(context), Revoke(context) };

    private static Command New(CliContext context)
    {
        var name = Name();
        var role = new Option<string>("--role") { Description = "What the key may do", Required = true };
        role.AcceptOnlyFromAmong("reader", "publisher", "admin");
        var command = new Command("create", "Create a key; its secret is printed once, keep it") { name, role };
        command.Runs(context, async run =>
            run.Show(await run.Client.CreateKeyAsync(run.Value(name), run.Value(role), run.Ct), key =>
            {
                context.Error.Line($"Created key {key.Name} ({key.Role}); the registry shows its secret this once:");
                context.Out.Line(key.Key);
            }));
        return command;
    }

    private static Command List(CliContext context)
    {
        var command = new Command("list", "List keys (never their secrets)");
        command.Runs(context, async run => run.Show(await run.Client.ListKeysAsync(run.Ct), keys => Views.Keys(context.Out, keys)));
        return command;
    }

    private static Command Revoke(CliContext context)
    {
        var name = Name();
        var command = new Command("revoke", "Revoke a key: it stops working at once; its name is never reused") { name };
        command.Runs(context, async run =>
        {
            await run.Client.RevokeKeyAsync(run.Value(name), run.Ct);
            context.Out.Line($"Revoked key {run.Value(name)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Argument<string> Name() => new("name") { Description = "The key's name, recorded as the actor of what it does" };
}
