using System.CommandLine;
using System.Text.Json;
using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Rendering;
using Spectre.Console;

namespace ModelRegistry.Cli.Commands;

/// <summary>
/// <c>watch &lt;model&gt;</c>: prints the production pointer, then one line per change until interrupted. When the stream
/// ends or breaks (a restart, a proxy's 502) it reconnects with <c>Last-Event-ID</c>, so the server replays the changes
/// made in between.
/// </summary>
internal static class WatchCommand
{
    private const int MaxBackoff = 30;

    public static Command Create(CliContext context)
    {
        var name = ModelsCommands.ModelName();
        var command = new Command("watch", "Follow a model's production version, one line per change (Ctrl+C ends)") { name };
        command.Runs(context, run => WatchAsync(run, run.Value(name)));
        return command;
    }

    private static async Task<int> WatchAsync(Invocation run, string name)
    {
        string? lastId = null;
        var connected = false;
        var failures = 0;
        try
        {
            while (true)
            {
                try
                {
                    await foreach (var item in run.Client.WatchProductionAsync(name, lastId, run.Ct))
                    {
                        (connected, failures) = (true, 0);
                        if (item.EventType != "production")
                        {
                            continue;
                        }

                        lastId = string.IsNullOrEmpty(item.EventId) ? lastId : item.EventId;
                        if (run.Json)
                        {
                            run.Context.Out.Line(item.Data);
                        }
                        else
                        {
                            run.Context.Out.Line(Views.ProductionChange(JsonSerializer.Deserialize<ProductionPointer>(item.Data, RegistryClient.Json)!));
                        }
                    }
                }
                catch (Exception e) when (connected && e is IOException or HttpRequestException { StatusCode: null }
                                              or RegistryProblemException { Problem.Status: >= 500 })
                {
                    run.Context.Error.Line($"connection lost ({e.Message}); reconnecting");
                }

                failures++;
                await Task.Delay(run.Context.ReconnectDelay * Math.Min(MaxBackoff, 1 << Math.Min(failures - 1, 5)), run.Ct);
            }
        }
        catch (OperationCanceledException) when (run.Ct.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
    }
}
