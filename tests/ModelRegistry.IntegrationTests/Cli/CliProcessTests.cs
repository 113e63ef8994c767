using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Cli;

/// <summary>The built client run as a process, as a script runs it: exit codes, piped output, Ctrl+C.</summary>
public sealed class CliProcessTests : IAsyncLifetime
{
    private const string Page = """{"items": [{"name": "tiny", "description": null, "tags": {"team": "nlp"}, "locked": false, "production_version": 1, "latest_version": 2, "updated_at": "2026-01-02T03:04:05Z"}], "next_cursor": null}""";

    private LoopbackServer _registry = null!;

    public async Task InitializeAsync()
    {
        _registry = await LoopbackServer.StartAsync();
        _registry.Map("/api/v1/models", http => Json(http, 200, "application/json", Page));
        _registry.Map("/api/v1/models/missing", http => Json(http, 404, "application/problem+json",
            """{"type": "https://modelregistry.dev/problems/model-not-found", "title": "Model not found", "status": 404, "detail": "There is no model 'missing'."}"""));
    }

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    [Fact]
    public async Task The_exit_code_says_done_refused_wrong_command_line_or_unreachable()
    {
        Assert.Equal(0, (await RunAsync("models", "list")).ExitCode);
        Assert.Equal(1, (await RunAsync("models", "show", "missing")).ExitCode);
        Assert.Equal(2, (await RunAsync("models", "list", "--stage", "nowhere")).ExitCode);
        Assert.Equal(3, (await RunAsync("models", "list", "--url", $"http://127.0.0.1:{ClosedPort()}")).ExitCode);
    }

    [Fact]
    public async Task Output_to_a_pipe_has_no_escape_codes_even_when_the_terminal_has_colours()
    {
        var listed = await RunAsync("models", "list");
        var refused = await RunAsync("models", "show", "missing");

        Assert.Contains("tiny", listed.Out, StringComparison.Ordinal);
        Assert.Contains("Model not found", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', listed.Out + listed.Error + refused.Out + refused.Error);
    }

    [Fact]
    public async Task Watch_ends_quietly_on_ctrl_c()
    {
        _registry.Map("/api/v1/models/tiny/production/watch", async http =>
        {
            http.Response.ContentType = "text/event-stream";
            await http.Response.WriteAsync(
                "id: 7\nevent: production\ndata: {\"name\": \"tiny\", \"version\": 1, \"promoted_at\": \"2026-01-02T03:04:05Z\"}\n\n", http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
            await Task.Delay(Timeout.Infinite, http.RequestAborted);
        });
        using var watch = Start(interruptibleFromAnyShell: true, "watch", "tiny");
        var output = new StringBuilder();
        var error = new StringBuilder();
        watch.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        watch.ErrorDataReceived += (_, e) => { lock (error) { error.AppendLine(e.Data); } };
        watch.BeginOutputReadLine();
        watch.BeginErrorReadLine();
        await Eventually.HoldsAsync(() => Task.FromResult(Read(output).Contains("tiny production is v1", StringComparison.Ordinal)), () => Read(error));

        using (var interrupt = Process.Start("kill", ["-INT", watch.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync();
        }

        await watch.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Contains(watch.ExitCode, new[] { 0, 130 });
        Assert.DoesNotContain("   at ", Read(error), StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", Read(error), StringComparison.Ordinal);
    }

    private static string Read(StringBuilder text)
    {
        lock (text)
        {
            return text.ToString();
        }
    }

    private static Task Json(HttpContext http, int status, string mediaType, string body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = mediaType;
        return http.Response.WriteAsync(body);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task<(int ExitCode, string Out, string Error)> RunAsync(params string[] args)
    {
        using var process = Start(args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (process.ExitCode, await output, await error);
    }

    private Process Start(params string[] args) => Start(interruptibleFromAnyShell: false, args);

    /// <summary>
    /// The client next to the tests, run by the dotnet host that runs them, its output piped, on a colour terminal. A test run
    /// started in the background by a shell inherits SIGINT ignored, and so would the client (as a background job should);
    /// <paramref name="interruptibleFromAnyShell"/> gives the client SIGINT's default disposition, as a terminal's foreground job has.
    /// </summary>
    private Process Start(bool interruptibleFromAnyShell, params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(interruptibleFromAnyShell ? "perl" : dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["REGISTRY_URL"] = _registry.Url(""), ["TERM"] = "xterm-256color", ["COLORTERM"] = "truecolor" },
        };
        start.Environment.Remove("NO_COLOR");
        if (interruptibleFromAnyShell)
        {
            // perl can restore a disposition a shell may not, then becomes the client (same process id).
            foreach (var arg in new[] { "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die $!", dotnet })
            {
                start.ArgumentList.Add(arg);
            }
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ModelRegistry.Cli.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }
}
