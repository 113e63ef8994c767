using System.CommandLine;
using System.Globalization;
using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Rendering;

namespace ModelRegistry.Cli.Commands;

/// <summary><c>audit</c>: the events of every model, filtered by who, what, which model and when.</summary>
internal static class AuditCommand
{
    public static Command Create(CliContext context)
    {
        var actor = new Option<string?>("--actor") { Description = "Only events this key's name caused" };
        var types = new Option<string[]>("--type") { Description = "Only events of this type, e.g. VersionPromoted (repeatable)" };
        var model = new Option<string?>("--model") { Description = "Only this model's events" };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Events at or after this time (RFC 3339)" };
        var to = new Option<DateTimeOffset?>("--to") { Description = "Events before this time (RFC 3339)" };
        var limit = new Option<int?>("--limit") { Description = "How many events at most" };
        var cursor = new Option<string?>("--cursor") { Description = "Where the previous page ended" };
        var command = new Command("audit", "Events across models, oldest first") { actor, types, model, from, to, limit, cursor };
        command.Runs(context, async run =>
        {
            var query = RegistryClient.Query(
                [("actor", run.Value(actor)), .. (run.Value(types) ?? []).Select(t => ("type", (string?)t)), ("model", run.Value(model)),
                    ("from", RegistryClient.Timestamp(run.Value(from))), ("to", RegistryClient.Timestamp(run.Value(to))),
                    ("limit", run.Value(limit)?.ToString(CultureInfo.InvariantCulture)), ("cursor", run.Value(cursor))]);
            return run.Show(await run.Client.AuditAsync(query, run.Ct), page => Views.Audit(context.Out, page));
        });
        return command;
    }
}
