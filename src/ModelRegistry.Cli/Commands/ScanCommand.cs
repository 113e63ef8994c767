using System.CommandLine;
using ModelRegistry.Cli.Rendering;

namespace ModelRegistry.Cli.Commands;

/// <summary><c>scan</c>: registers the model files under the storage root that no version points at.</summary>
internal static class ScanCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("scan", "Register the model files under the registry's storage root that no version points at (admin)");
        command.Runs(context, async run => run.Show(await run.Client.ScanAsync(run.Ct), report => Views.Scan(context.Out, report)));
        return command;
    }
}
