using System.CommandLine;
using System.Globalization;
using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Rendering;

namespace ModelRegistry.Cli.Commands;

/// <summary><c>downloads list|show|cancel</c>: the registry's download jobs.</summary>
internal static class DownloadsCommands
{
    public static Command Create(CliContext context) =>
        new("downloads", "Downloads the registry runs: list them, show one, cancel one") { List(context), Show(context), Cancel(context) };

    private static Command List(CliContext context)
    {
        var state = new Option<string?>("--state") { Description = "Only downloads in this state" };
        state.AcceptOnlyFromAmong("queued", "retrying", "running", "cancelling", "succeeded", "failed", "cancelled");
        var limit = new Option<int?>("--limit") { Description = "How many downloads at most" };
        var cursor = new Option<string?>("--cursor") { Description = "Where the previous page ended" };
        var command = new Command("list", "List downloads, newest first") { state, limit, cursor };
        command.Runs(context, async run =>
        {
            var query = RegistryClient.Query(("state", run.Value(state)), ("limit", run.Value(limit)?.ToString(CultureInfo.InvariantCulture)),
                ("cursor", run.Value(cursor)));
            return run.Show(await run.Client.ListDownloadsAsync(query, run.Ct), page => Views.Downloads(context.Out, page));
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var id = Id();
        var command = new Command("show", "Show a download: state, bytes, attempts, last error") { id };
        command.Runs(context, async run => run.Show(await run.Client.GetDownloadAsync(run.Value(id), run.Ct), d => Views.Download(context.Out, d)));
        return command;
    }

    private static Command Cancel(CliContext context)
    {
        var id = Id();
        var command = new Command("cancel", "Cancel a download; its version's download is marked failed") { id };
        command.Runs(context, async run =>
            run.Show(await run.Client.CancelDownloadAsync(run.Value(id), run.Ct),
                d => context.Out.Line($"Cancelling the download of {d.Model} v{d.Version.ToString(CultureInfo.InvariantCulture)}: {d.State}")));
        return command;
    }

    private static Argument<Guid> Id() => new("id") { Description = "The download's id (from pull, downloads list or versions register)" };
}
