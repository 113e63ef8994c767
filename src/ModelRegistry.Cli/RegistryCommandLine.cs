using System.CommandLine;
using System.CommandLine.Help;
using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Commands;
using ModelRegistry.Cli.Rendering;
using Spectre.Console;

namespace ModelRegistry.Cli;

/// <summary>
/// The <c>modelregistry</c> command line: the command tree, the options every command takes, and the one place that turns
/// failures into messages and exit codes (<see cref="ExitCodes"/>).
/// </summary>
internal static class RegistryCommandLine
{
    public static readonly Option<string?> Url = new("--url")
    {
        Description = $"The registry's base URL [env: REGISTRY_URL, default: {CliContext.DefaultUrl}]",
        Recursive = true,
    };

    public static readonly Option<string?> Key = new("--key")
    {
        Description = "API key, sent as 'Authorization: Bearer <key>' [env: REGISTRY_KEY]",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the registry's JSON instead of tables",
        Recursive = true,
    };

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken ct = default)
    {
        // Named like the tool, not the assembly (which must not share its name, case aside, with the server's).
        var root = new Command("modelregistry", "A command-line client of the model registry's HTTP API.")
        {
            new HelpOption(), new VersionOption(), Url, Key, Json,
        };
        root.Subcommands.Add(ModelsCommands.Create(context));
        root.Subcommands.Add(VersionsCommands.Create(context));
        root.Subcommands.Add(PullCommand.Create(context));
        root.Subcommands.Add(WatchCommand.Create(context));
        root.Subcommands.Add(DownloadsCommands.Create(context));
        root.Subcommands.Add(ScanCommand.Create(context));
        root.Subcommands.Add(AuditCommand.Create(context));
        root.Subcommands.Add(KeysCommands.Create(context));
        root.Subcommands.Add(EndpointsCommands.Create(context));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                context.Error.Line($"error: {error.Message}");
            }

            context.Error.Line("See 'modelregistry --help'.");
            return ExitCodes.Usage;
        }

        var writers = new InvocationConfiguration
        {
            Output = context.Out.Profile.Out.Writer,
            Error = context.Error.Profile.Out.Writer,
            EnableDefaultExceptionHandler = false,
        };
        return await parsed.InvokeAsync(writers, ct);
    }

    /// <summary>Gives <paramref name="command"/> an action that runs against a <see cref="RegistryClient"/> and reports failures.</summary>
    public static void Runs(this Command command, CliContext context, Func<Invocation, Task<int>> action) =>
        command.SetAction(async (parsed, ct) =>
        {
            try
            {
                using var http = context.CreateHttpClient(parsed.GetValue(Url), parsed.GetValue(Key));
                return await action(new Invocation(parsed, new RegistryClient(http), context, parsed.GetValue(Json), ct));
            }
            catch (RegistryProblemException e)
            {
                Views.Problem(context.Error, e.Problem);
                return ExitCodes.Failed;
            }
            catch (UsageException e)
            {
                context.Error.Line($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (HttpRequestException e) when (e.StatusCode is null)
            {
                context.Error.Line($"error: cannot reach the registry: {e.Message}");
                return ExitCodes.Unreachable;
            }
            catch (IOException e)
            {
                context.Error.Line($"error: the connection to the registry broke: {e.Message}");
                return ExitCodes.Unreachable;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                context.Error.Line($"error: the registry did not answer within {RegistryClient.RequestTimeout.TotalSeconds} s");
                return ExitCodes.Unreachable;
            }
            catch (OperationCanceledException)
            {
                return ExitCodes.Interrupted;
            }
        });
}

/// <summary>One run of a command: its parsed arguments, the client, the consoles, and whether to print JSON.</summary>
internal sealed record Invocation(ParseResult Parsed, RegistryClient Client, CliContext Context, bool Json, CancellationToken Ct)
{
    public T Value<T>(Option<T> option) => Parsed.GetValue(option)!;

    public T Value<T>(Argument<T> argument) => Parsed.GetValue(argument)!;

    /// <summary>Prints the body as the registry sent it with <c>--json</c>, else renders the resource.</summary>
    public int Show<T>(Reply<T> reply, Action<T> render)
    {
        if (Json)
        {
            Context.Out.Line(reply.Json);
        }
        else
        {
            render(reply.Value);
        }

        return ExitCodes.Ok;
    }
}
