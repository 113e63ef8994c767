using System.Text.Json;
using System.Text.RegularExpressions;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Readme;

/// <summary>
/// The README's quick start, its curl commands taken from the README as they are written, run against the real server on a
/// fresh database, so the README keeps saying what a first session sees.
/// </summary>
public sealed partial class QuickStartTests : IAsyncLifetime
{
    // Each answer on a line of its own, followed by the URL it came from; an answer other than 2xx stops the script.
    private const string Curl = "curl -sS --fail-with-body -w ' <- %{url_effective}\\n' ";
    private const string UrlMarker = " <- ";

    private readonly TestDatabase _database = new();
    private readonly ScratchCheckout _checkout = new();
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _server = ServerProcess.Create(_database.ConnectionString, Path.Combine(_checkout.Root, ".data", "models"));
        await _server.StartAsync();
    }

    [Fact]
    public async Task The_quick_start_runs_as_written_and_its_as_of_read_shows_the_version_that_ran_before()
    {
        _checkout.Write(".data/bootstrap-admin-key", ServerProcess.AdminKey + "\n");
        _checkout.Write("home/Downloads/tinyllama.Q4_K_M.gguf", "first model bytes");
        _checkout.Write("home/Downloads/tinyllama.Q5_K_M.gguf", "second model bytes");
        var commands = QuickStartCommands()
            .Replace("localhost:5080", $"127.0.0.1:{_server.BaseAddress.Port}", StringComparison.Ordinal)
            .Replace("curl -s ", Curl, StringComparison.Ordinal);
        _checkout.Write("quick-start.sh", "set -euo pipefail\n" + commands);

        var run = await _checkout.BashAsync("quick-start.sh", new Dictionary<string, string?> { ["HOME"] = Path.Combine(_checkout.Root, "home") });

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(1, Answer(run, url => url.Contains("/production?as_of=", StringComparison.Ordinal)).GetProperty("version").GetInt32());
        Assert.Equal(1, Answer(run, url => url.EndsWith("/production", StringComparison.Ordinal)).GetProperty("version").GetInt32());
        Assert.Equal("publisher", Answer(run, url => url.EndsWith("/api/v1/keys", StringComparison.Ordinal)).GetProperty("role").GetString());
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _database.DisposeAsync();
        _checkout.Dispose();
    }

    /// <summary>The quick start's code block that talks to the API.</summary>
    private static string QuickStartCommands()
    {
        var readme = File.ReadAllText(Path.Combine(ScratchCheckout.RepositoryRoot(), "README.md"));
        var quickStart = readme[readme.IndexOf("## Quick start", StringComparison.Ordinal)..];
        quickStart = quickStart[..quickStart.IndexOf("\n## ", StringComparison.Ordinal)];
        return ShellBlock().Matches(quickStart).Select(m => m.Groups[1].Value).Single(b => b.Contains("curl", StringComparison.Ordinal));
    }

    /// <summary>The last answer from a URL that <paramref name="url"/> accepts.</summary>
    private static JsonElement Answer(ScriptResult run, Func<string, bool> url)
    {
        var (answer, _) = run.Out.Split('\n')
            .Select(line => (Line: line, At: line.LastIndexOf(UrlMarker, StringComparison.Ordinal)))
            .Where(l => l.At >= 0)
            .Select(l => (Answer: l.Line[..l.At], Url: l.Line[(l.At + UrlMarker.Length)..]))
            .Last(l => url(l.Url));
        return JsonDocument.Parse(answer).RootElement.Clone();
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
