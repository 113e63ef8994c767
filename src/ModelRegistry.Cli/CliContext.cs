using System.Net.Http.Headers;
using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Rendering;
using Spectre.Console;

namespace ModelRegistry.Cli;

/// <summary>
/// What a command runs against: the consoles, the environment, and, for tests, the HTTP handler that reaches the registry
/// and the view of a pull's progress.
/// </summary>
internal sealed record CliContext(
    IAnsiConsole Out,
    IAnsiConsole Error,
    Func<string, string?> Environment,
    HttpMessageHandler? Handler = null,
    IPullProgress? PullProgress = null)
{
    /// <summary>How long to wait before reading an event stream again after it ended; later attempts wait longer.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Where a secret given on standard input (<c>--api-key-stdin</c>) is read from. Opened only when read: touching the
    /// console's input sets up its terminal handling, after which Ctrl+C no longer ends a running <c>watch</c> quietly.
    /// </summary>
    public Func<TextReader> In { get; init; } = () => TextReader.Null;

    public const string DefaultUrl = "http://127.0.0.1:5080";

    public static CliContext FromProcess()
    {
        var output = AnsiConsole.Console;
        if (Console.IsOutputRedirected)
        {
            // Piped output has no width; Spectre would assume 80 columns and wrap every table row.
            output.Profile.Width = 1000;
        }

        return new CliContext(output, AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) }),
            System.Environment.GetEnvironmentVariable)
        {
            In = () => Console.In,
        };
    }

    public IPullProgress Progress => PullProgress ?? new SpectrePullProgress(Out);

    public HttpClient CreateHttpClient(string? url, string? key)
    {
        var baseUrl = url ?? (Environment("REGISTRY_URL") is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultUrl);
        if (!Uri.TryCreate(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/", UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"The registry URL '{baseUrl}' is not an absolute http(s) URL.");
        }

        var http = Handler is null ? new HttpClient() : new HttpClient(Handler, disposeHandler: false);
        http.BaseAddress = address;
        // Event streams stay open for as long as the user watches; plain requests carry their own deadline.
        http.Timeout = Timeout.InfiniteTimeSpan;
        var apiKey = key ?? Environment("REGISTRY_KEY");
        if (!string.IsNullOrEmpty(apiKey))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("modelregistry-cli", "1"));
        return http;
    }
}

/// <summary>The command line was wrong in a way the parser cannot see.</summary>
internal sealed class UsageException(string message) : Exception(message);

internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The registry refused the request, or the download failed.</summary>
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;
    public const int Interrupted = 130;
}
