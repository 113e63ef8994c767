using System.CommandLine;
using System.Globalization;
using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Rendering;

namespace ModelRegistry.Cli.Commands;

/// <summary><c>models list|show|history|update|lock|unlock</c>: reading the catalog and changing a model itself.</summary>
internal static class ModelsCommands
{
    public static Command Create(CliContext context) =>
        new("models", "Models: list and search them, show one with its versions, its history; update, lock and unlock one")
        {
            List(context), Show(context), History(context), Update(context),
            Lock(context, "lock", "Locked", "Lock a model: it refuses every other change until unlocked (admin)"),
            Lock(context, "unlock", "Unlocked", "Unlock a locked model (admin)"),
        };

    private static Command List(CliContext context)
    {
        var q = new Option<string?>("--q") { Description = "Search text in names and descriptions" };
        var tags = new Option<string[]>("--tag") { Description = "Only models with this tag, key:value (repeatable)" };
        var stage = new Option<string?>("--stage") { Description = "Only models with a version in this stage" };
        stage.AcceptOnlyFromAmong("staging", "production", "archived");
        var status = new Option<string?>("--status") { Description = "Only models with a version in this status" };
        var limit = new Option<int?>("--limit") { Description = "How many models at most" };
        var cursor = new Option<string?>("--cursor") { Description = "Where the previous page ended" };
        var command = new Command("list", "List and search models") { q, tags, stage, status, limit, cursor };
        command.Runs(context, async run =>
        {
            var query = RegistryClient.Query(
                [("q", run.Value(q)), .. (run.Value(tags) ?? []).Select(t => ("tag", (string?)t)), ("stage", run.Value(stage)),
                    ("status", run.Value(status)), ("limit", run.Value(limit)?.ToString(CultureInfo.InvariantCulture)), ("cursor", run.Value(cursor))]);
            return run.Show(await run.Client.ListModelsAsync(query, run.Ct), page => Views.Models(context.Out, page));
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var name = ModelName();
        var asOf = new Option<DateTimeOffset?>("--as-of") { Description = "Show the model as it was at this time (RFC 3339)" };
        var command = new Command("show", "Show a model with its versions") { name, asOf };
        command.Runs(context, async run =>
            run.Show(await run.Client.GetModelAsync(run.Value(name), run.Value(asOf), run.Ct), model => Views.Model(context.Out, model)));
        return command;
    }

    private static Command History(CliContext context)
    {
        var name = ModelName();
        var limit = new Option<int?>("--limit") { Description = "How many events at most" };
        var cursor = new Option<string?>("--cursor") { Description = "Where the previous page ended" };
        var command = new Command("history", "A model's events, oldest first") { name, limit, cursor };
        command.Runs(context, async run =>
            run.Show(await run.Client.GetHistoryAsync(run.Value(name), run.Value(limit), run.Value(cursor), run.Ct),
                page => Views.History(context.Out, page)));
        return command;
    }

    private static Command Update(CliContext context)
    {
        var name = ModelName();
        var description = new Option<string?>("--description") { Description = "The model's new description" };
        var tags = new Option<string[]>("--tag")
        {
            Description = "A tag, key=value or key:value (repeatable); the model's tags become exactly the ones given",
        };
        var command = new Command("update", "Change a model's description or tags") { name, description, tags };
        command.Runs(context, async run =>
        {
            var given = run.Value(tags) is { Length: > 0 } t ? Tags(t) : null;
            if (run.Value(description) is null && given is null)
            {
                throw new UsageException("Give --description or --tag (or both).");
            }

            return run.Show(await run.Client.UpdateModelAsync(run.Value(name), new UpdateModelBody(run.Value(description), given), run.Ct),
                model => Views.Updated(context.Out, model));
        });
        return command;
    }

    private static Command Lock(CliContext context, string action, string done, string description)
    {
        var name = ModelName();
        var reason = new Option<string>("--reason") { Description = "Why, recorded with the event", Required = true };
        var command = new Command(action, description) { name, reason };
        command.Runs(context, async run =>
            run.Show(await run.Client.LockAsync(run.Value(name), action, run.Value(reason), run.Ct),
                model => context.Out.Line($"{done} {model.Name}" + (model.Locked ? $": {model.LockReason}" : ""))));
        return command;
    }

    /// <summary>Tag keys never hold a ':', so the first ':' or '=' ends the key.</summary>
    private static Dictionary<string, string> Tags(IEnumerable<string> given)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tag in given)
        {
            var split = tag.IndexOfAny([':', '=']);
            if (split < 1)
            {
                throw new UsageException($"The tag '{tag}' is not key=value.");
            }

            tags[tag[..split]] = tag[(split + 1)..];
        }

        return tags;
    }

    public static Argument<string> ModelName() => new("name") { Description = "The model: name or namespace/name" };
}
