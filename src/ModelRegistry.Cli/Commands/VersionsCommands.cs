using System.CommandLine;
using System.Globalization;
using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Rendering;
using Spectre.Console;

namespace ModelRegistry.Cli.Commands;

/// <summary><c>versions register|promote|demote|archive|restore|rollback|verify</c>: changing a model's versions.</summary>
internal static class VersionsCommands
{
    public static Command Create(CliContext context) =>
        new("versions", "Register versions and move them through their lifecycle")
        {
            Register(context),
            Promote(context),
            Change(context, "demote", "Demoted", "Move the production version back to staging"),
            Change(context, "archive", "Archived", "Archive a version (a production version must be demoted first)"),
            Change(context, "restore", "Restored", "Bring an archived version back to staging"),
            Rollback(context),
            Verify(context),
        };

    private static Command Register(CliContext context)
    {
        var name = ModelsCommands.ModelName();
        var type = new Option<string>("--source-type") { Description = "Where the file comes from", Required = true };
        type.AcceptOnlyFromAmong("local", "url", "huggingface");
        var uri = new Option<string>("--uri")
        {
            Description = "local: a path under the storage root; url: an http(s) URL; huggingface: the repository id",
            Required = true,
        };
        var version = new Option<int?>("--version") { Description = "The version number (default: the next one)" };
        var sha256 = new Option<string?>("--sha256") { Description = "The file's expected SHA-256" };
        var format = new Option<string?>("--format") { Description = "gguf, onnx, safetensors, pt, bin or other (default: from the file name)" };
        var file = new Option<string?>("--file") { Description = "huggingface: the file in the repository" };
        var revision = new Option<string?>("--revision") { Description = "huggingface: branch, tag or commit (default: main)" };
        var command = new Command("register", "Register a version; a remote one is downloaded in the background")
        {
            name, type, uri, version, sha256, format, file, revision,
        };
        command.Runs(context, async run =>
        {
            var body = new RegisterVersionBody(run.Value(version),
                new SourceBody(run.Value(type), run.Value(uri), run.Value(revision), run.Value(file)), run.Value(sha256), run.Value(format));
            return run.Show(await run.Client.RegisterVersionAsync(run.Value(name), body, run.Ct), v => Views.Version(context.Out, "Registered", v));
        });
        return command;
    }

    private static Command Promote(CliContext context)
    {
        var (name, number, reason) = Target();
        var stage = new Option<string>("--stage") { Description = "The stage to promote to", DefaultValueFactory = _ => "production" };
        stage.AcceptOnlyFromAmong("production", "staging");
        var command = new Command("promote", "Promote a ready version (to production, the current one goes back to staging)")
        {
            name, number, stage, reason,
        };
        command.Runs(context, run => ChangeAsync(run, run.Value(name), run.Value(number), "promote", "Promoted",
            new PromoteBody(run.Value(stage), run.Value(reason))));
        return command;
    }

    private static Command Change(CliContext context, string action, string done, string description)
    {
        var (name, number, reason) = Target();
        var command = new Command(action, description) { name, number, reason };
        command.Runs(context, run => ChangeAsync(run, run.Value(name), run.Value(number), action, done, new ReasonBody(run.Value(reason))));
        return command;
    }

    /// <summary>
    /// The registry answers a change that finds nothing to do (demoting a staging version) like one it made; the stage
    /// before the request tells the two apart.
    /// </summary>
    private static async Task<int> ChangeAsync(Invocation run, string name, int number, string action, string done, object body)
    {
        var before = await run.Client.GetVersionAsync(name, number, run.Ct);
        var after = await run.Client.ChangeVersionAsync(name, number, action, body, run.Ct);
        return run.Show(after, v =>
        {
            if (v.Stage == before.Value.Stage)
            {
                run.Context.Out.Line($"{v.Name} v{number.ToString(CultureInfo.InvariantCulture)} is in {v.Stage} already; nothing changed");
            }
            else
            {
                Views.Version(run.Context.Out, done, v);
            }
        });
    }

    /// <summary>Exits with 1 unless the file is whole, so that a script can stop on a missing or changed file.</summary>
    private static Command Verify(CliContext context)
    {
        var name = ModelsCommands.ModelName();
        var number = new Argument<int>("version") { Description = "The version number" };
        var command = new Command("verify", "Hash a version's file again: ready, missing or corrupted (exit 1 unless ready)") { name, number };
        command.Runs(context, async run =>
        {
            var verified = await run.Client.VerifyAsync(run.Value(name), run.Value(number), run.Ct);
            run.Show(verified, v => Views.Version(context.Out, "Verified", v));
            return verified.Value.Status == "ready" ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static Command Rollback(CliContext context)
    {
        var name = ModelsCommands.ModelName();
        var reason = Reason();
        var command = new Command("rollback", "Put the previous production version back into production") { name, reason };
        command.Runs(context, async run =>
            run.Show(await run.Client.RollbackAsync(run.Value(name), run.Value(reason), run.Ct),
                model => context.Out.Line($"Rolled back {model.Name}: production is v{model.ProductionVersion}")));
        return command;
    }

    private static (Argument<string> Name, Argument<int> Version, Option<string?> Reason) Target() =>
        (ModelsCommands.ModelName(), new Argument<int>("version") { Description = "The version number" }, Reason());

    private static Option<string?> Reason() => new("--reason") { Description = "Why, recorded with the event" };
}
