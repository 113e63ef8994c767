using System.Security.Cryptography;
using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Rendering;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.IntegrationTests.Infrastructure;
using ModelRegistry.Tests.Cli;

namespace ModelRegistry.IntegrationTests.Cli;

public sealed class PullCommandTests(TestDatabase db) : DownloadsTestClass(db), IClassFixture<TestDatabase>
{

    [Fact]
    public async Task Pull_moves_the_progress_bar_while_the_download_runs_and_exits_0_once_the_version_is_ready()
    {
        var name = $"pulled-{Guid.NewGuid():N}"[..19];
        var content = RandomNumberGenerator.GetBytes(2_000_000);
        var halfSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The second half is sent only once the progress bar has shown part of the file: the bar must move during the download.
        Server.Map($"/files/{name}.gguf", async http =>
        {
            http.Response.ContentLength = content.Length;
            await http.Response.Body.WriteAsync(content.AsMemory(0, content.Length / 2), http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
            await halfSeen.Task.WaitAsync(http.RequestAborted);
            await http.Response.Body.WriteAsync(content.AsMemory(content.Length / 2), http.RequestAborted);
        });
        var progress = new RecordedProgress(d =>
        {
            if (d.BytesDone > 0 && d.BytesDone < d.BytesTotal)
            {
                halfSeen.TrySetResult();
            }
        });

        var result = await new CliRunner(App.CreateHandler(), RegistryApp.AdminKey, progress)
            .RunAsync("pull", Server.Url($"/files/{name}.gguf"), "--sha256", Convert.ToHexStringLower(SHA256.HashData(content)));

        Assert.True(result.ExitCode == 0, result.Error);
        var bytesDone = progress.Seen.Select(d => d.BytesDone).Distinct().ToList();
        Assert.True(bytesDone.Count > 1, string.Join(", ", bytesDone));
        Assert.Equal(bytesDone.Order(), bytesDone);
        Assert.Equal(content.Length, bytesDone[^1]);
        Assert.Equal("succeeded", progress.Seen[^1].State);
        Assert.Contains($"Pulled {name} v1: stage staging, status ready", result.Out, StringComparison.Ordinal);
        Assert.Equal("ready", (await App.GetAsync($"/api/v1/models/{name}/versions/1")).String("status"));
    }

    [Fact]
    public async Task Pull_of_a_file_whose_hash_differs_exits_1_with_the_reason()
    {
        var name = $"mismatch-{Guid.NewGuid():N}"[..21];
        Server.MapFile($"/files/{name}.gguf", RandomNumberGenerator.GetBytes(100_000));
        var progress = new RecordedProgress();

        var result = await new CliRunner(App.CreateHandler(), RegistryApp.AdminKey, progress)
            .RunAsync("pull", Server.Url($"/files/{name}.gguf"), "--sha256", new string('0', 64));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"error: the download of {name} v1 failed: ", result.Error, StringComparison.Ordinal);
        Assert.Contains("SHA-256", result.Error, StringComparison.Ordinal);
        Assert.Equal("failed", progress.Seen[^1].State);
        Assert.Equal("failed", (await App.GetAsync($"/api/v1/models/{name}/versions/1")).String("status"));
    }

    [Fact]
    public async Task Downloads_list_shows_a_running_download_show_tells_its_state_and_cancel_stops_it()
    {
        var name = $"listed-{Guid.NewGuid():N}"[..19];
        Server.MapFile($"/files/{name}.gguf", RandomNumberGenerator.GetBytes(3_000_000), breakAfter: 1_000_000, stall: true);
        var accepted = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = Server.Url($"/files/{name}.gguf") }).ToUrl("/api/v1/downloads");
            s.StatusCodeShouldBe(202);
        });
        var id = accepted.String("id");
        await Eventually.HoldsAsync(async () => (await App.GetAsync(accepted.Location!)).String("state") == "running");
        var cli = new CliRunner(App.CreateHandler(), RegistryApp.AdminKey);

        var listed = await cli.RunAsync("downloads", "list", "--state", "running");
        var shown = await cli.RunAsync("downloads", "show", id);
        var cancelled = await cli.RunAsync("downloads", "cancel", id);

        Assert.True(listed.ExitCode == 0, listed.Error);
        Assert.Matches(new System.Text.RegularExpressions.Regex($@"(?m)^\s*{id}\s+{name}\s+1\s+running\s"), listed.Out);
        Assert.True(shown.ExitCode == 0, shown.Error);
        Assert.Matches(new System.Text.RegularExpressions.Regex(@"(?m)^state\s+running\s*$"), shown.Out);
        Assert.True(cancelled.ExitCode == 0, cancelled.Error);
        Assert.Contains($"Cancelling the download of {name} v1: cancelling", cancelled.Out, StringComparison.Ordinal);
        await Eventually.HoldsAsync(async () => (await App.GetAsync(accepted.Location!)).String("state") == "cancelled");
    }

    /// <summary>Stands in for the progress bar: keeps every state of the download it is shown.</summary>
    private sealed class RecordedProgress(Action<Download>? onReport = null) : IPullProgress
    {
        public List<Download> Seen { get; } = [];

        public Task<T> ShowAsync<T>(string title, Func<Action<Download>, Task<T>> work) =>
            work(download =>
            {
                Seen.Add(download);
                onReport?.Invoke(download);
            });
    }
}
