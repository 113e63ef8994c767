using ModelRegistry.Cli.Api;
using ModelRegistry.Cli.Rendering;

namespace ModelRegistry.Tests.Cli;

public sealed class PullProgressTests
{
    private static Download At(long done, string state = "running") =>
        new(Guid.NewGuid(), "tiny", 1, state, done, 4 * 1024 * 1024, 2 * 1024 * 1024, 1, 5, null);

    [Fact]
    public async Task The_progress_bar_ends_full_with_the_bytes_done_of_the_total()
    {
        var text = new ConsoleText();
        var progress = new SpectrePullProgress(CliRunner.Console(text, terminal: true));

        await progress.ShowAsync("tiny v1", report =>
        {
            report(At(1024 * 1024));
            report(At(4 * 1024 * 1024, "succeeded"));
            return Task.FromResult(0);
        });

        Assert.Contains("tiny v1 succeeded", text.Text, StringComparison.Ordinal);
        Assert.Contains("100% 4.0 MiB/4.0 MiB", text.Text, StringComparison.Ordinal);
    }
}
