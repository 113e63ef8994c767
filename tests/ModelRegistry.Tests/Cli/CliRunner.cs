using ModelRegistry.Cli;
using ModelRegistry.Cli.Rendering;
using Spectre.Console;

namespace ModelRegistry.Tests.Cli;

/// <summary>
/// Runs the command line in-process, as a user would type it, against <paramref name="handler"/> (a test server's or a
/// fake), with plain consoles whose text the test reads. Also compiled into the integration tests.
/// </summary>
internal sealed class CliRunner(HttpMessageHandler handler, string? key = null, IPullProgress? progress = null)
{
    public const string Url = "http://registry.test";

    /// <summary>Environment variables beside the registry's URL and key.</summary>
    public Dictionary<string, string?> Variables { get; init; } = [];

    /// <summary>What the command reads from standard input.</summary>
    public string Input { get; init; } = "";

    public async Task<CliResult> RunAsync(params string[] args)
    {
        var run = Start(CancellationToken.None, args);
        return new CliResult(await run.Exit, run.Out, run.Error);
    }

    /// <summary>Starts a command that runs until <paramref name="ct"/> ends it, such as <c>watch</c>; its output can be read meanwhile.</summary>
    public CliRun Start(CancellationToken ct, params string[] args)
    {
        var (output, error) = (new ConsoleText(), new ConsoleText());
        var environment = new Dictionary<string, string?>(Variables) { ["REGISTRY_URL"] = Url, ["REGISTRY_KEY"] = key };
        var context = new CliContext(Console(output), Console(error), name => environment.GetValueOrDefault(name), handler, progress)
        {
            ReconnectDelay = TimeSpan.Zero,
            In = () => new StringReader(Input),
        };
        return new CliRun(Task.Run(() => RegistryCommandLine.RunAsync(args, context, ct), CancellationToken.None), output, error);
    }

    /// <summary>A console without colours; <paramref name="terminal"/> makes it one that live displays such as progress bars draw on.</summary>
    public static IAnsiConsole Console(TextWriter writer, bool terminal = false)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 240;
        return console;
    }
}

internal sealed record CliResult(int ExitCode, string Out, string Error);

internal sealed class CliRun(Task<int> exit, ConsoleText output, ConsoleText error)
{
    public Task<int> Exit { get; } = exit;

    public string Out => output.Text;

    public string Error => error.Text;
}

/// <summary>A text writer that a running command writes to while the test reads it.</summary>
internal sealed class ConsoleText : StringWriter
{
    private readonly Lock _lock = new();

    public string Text
    {
        get
        {
            lock (_lock)
            {
                return ToString();
            }
        }
    }

    public override void Write(char value)
    {
        lock (_lock)
        {
            base.Write(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_lock)
        {
            base.Write(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_lock)
        {
            base.Write(buffer, index, count);
        }
    }
}
