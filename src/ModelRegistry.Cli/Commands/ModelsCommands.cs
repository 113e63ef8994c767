using System.CommandLine;
using System.Globalization;
using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Rendering;

namespace ModelRegistry.Cli.Commands;

/// <summary><c>models list|show|history</c>: reading the catalog.</summary>
internal static class ModelsCommands
{
    public static Command Create(CliContext context) =>
        new("models", "Read models: list and search them, show one with its versions, its history")
        {
            List(context), Show(context), History(context),
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

    public static Argument<string> ModelName() => new("name") { Description = "The model: name or namespace/name" };
}
