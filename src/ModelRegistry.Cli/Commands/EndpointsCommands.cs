using System.CommandLine;
using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Rendering;

namespace ModelRegistry.Cli.Commands;

/// <summary><c>endpoints list|add|show|check|remove</c>: the serving endpoints (Ollama, OpenAI-compatible servers) the caller owns.</summary>
internal static class EndpointsCommands
{
    public static Command Create(CliContext context) =>
        new("endpoints", "Serving endpoints: list yours, add one, show one, check its health now, remove one")
        {
            List(context), Add(context), Show(context), Check(context), Remove(context),
        };

    private static Command List(CliContext context)
    {
        var command = new Command("list", "List your endpoints (an admin's: everyone's), in the order they were added");
        command.Runs(context, async run => run.Show(await run.Client.ListEndpointsAsync(run.Ct), endpoints => Views.Endpoints(context.Out, endpoints)));
        return command;
    }

    /// <summary>The endpoint's key never is an argument, which would stay in the shell's history and the process list.</summary>
    private static Command Add(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "A name, unique among your endpoints" };
        var baseUrl = new Argument<string>("base-url") { Description = "The endpoint's base URL, e.g. http://127.0.0.1:11434" };
        var type = new Option<string?>("--type") { Description = "What serves the models (default: ollama)" };
        type.AcceptOnlyFromAmong("ollama", "openai-compatible", "custom");
        var keyFromStdin = new Option<bool>("--api-key-stdin") { Description = "Read the endpoint's API key from standard input" };
        var keyFromEnvironment = new Option<string?>("--api-key-env") { Description = "Read the endpoint's API key from this environment variable" };
        var modelsPath = new Option<string?>("--models-path") { Description = "The path that lists the models (custom endpoints), e.g. /models" };
        var inactive = new Option<bool>("--inactive") { Description = "Add it without scheduled checks (and without checking it now)" };
        var command = new Command("add", "Add an endpoint; an active one is checked and its models discovered right away. Prints its id")
        {
            name, baseUrl, type, keyFromStdin, keyFromEnvironment, modelsPath, inactive,
        };
        command.Runs(context, async run =>
        {
            var apiKey = ApiKey(context, run.Value(keyFromStdin), run.Value(keyFromEnvironment));
            var body = new EndpointBody(run.Value(name), run.Value(baseUrl), apiKey, run.Value(type), run.Value(modelsPath), run.Value(inactive) ? false : null);
            return run.Show(await run.Client.CreateEndpointAsync(body, run.Ct), endpoint =>
            {
                context.Error.Line($"Added endpoint {endpoint.Name} ({endpoint.EndpointType}, {endpoint.BaseUrl}, {(endpoint.IsActive ? "active" : "inactive")})");
                context.Out.Line(endpoint.Id);
            });
        });
        return command;
    }

    private static Command Show(CliContext context)
    {
        var id = Id();
        var command = new Command("show", "Show an endpoint: its URL, type, health, last check and models") { id };
        command.Runs(context, async run => run.Show(await run.Client.GetEndpointAsync(run.Value(id), run.Ct), e => Views.Endpoint(context.Out, e)));
        return command;
    }

    /// <summary>Exits with 1 unless the endpoint is healthy, so that a script can stop on one that is down.</summary>
    private static Command Check(CliContext context)
    {
        var id = Id();
        var command = new Command("check", "Check an endpoint now: status, response time, error (exit 1 unless healthy)") { id };
        command.Runs(context, async run =>
        {
            var checkedNow = await run.Client.CheckEndpointAsync(run.Value(id), run.Ct);
            run.Show(checkedNow, health => Views.Health(context.Out, run.Value(id), health));
            return checkedNow.Value.Status == "healthy" ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    private static Command Remove(CliContext context)
    {
        var id = Id();
        var command = new Command("remove", "Remove an endpoint and erase its API key; its events stay in the audit trail") { id };
        command.Runs(context, async run =>
        {
            await run.Client.RemoveEndpointAsync(run.Value(id), run.Ct);
            context.Out.Line($"Removed endpoint {run.Value(id)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string? ApiKey(CliContext context, bool fromStdin, string? variable)
    {
        if (fromStdin && variable is not null)
        {
            throw new UsageException("Give --api-key-stdin or --api-key-env, not both.");
        }

        if (variable is not null)
        {
            return context.Environment(variable) is { Length: > 0 } value
                ? value
                : throw new UsageException($"The environment variable {variable} is not set or empty.");
        }

        if (!fromStdin)
        {
            return null;
        }

        var key = context.In().ReadToEnd().TrimEnd('\r', '\n');
        return key.Length > 0 ? key : throw new UsageException("Standard input held no API key.");
    }

    private static Argument<string> Id() => new("id") { Description = "The endpoint's id (from endpoints add or endpoints list)" };
}
