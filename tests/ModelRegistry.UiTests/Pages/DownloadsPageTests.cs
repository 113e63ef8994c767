using System.Security.Cryptography;
using Microsoft.Playwright;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.UiTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace ModelRegistry.UiTests.Pages;

/// <summary>
/// The application with its download worker on, allowed to fetch only from a loopback file server whose body trickles
/// and then waits until the test lets it finish.
/// </summary>
public sealed class DownloadsFixture : BrowserFixture
{
    internal LoopbackServer Files { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Files = await LoopbackServer.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Files.DisposeAsync();
    }

    /// <summary>Serves <paramref name="content"/> at <paramref name="path"/>: the first half slowly, the rest once <paramref name="rest"/> completes.</summary>
    public void MapHeldFile(string path, byte[] content, Task rest) => Files.Map(path, async http =>
    {
        http.Response.ContentLength = content.Length;
        var half = content.Length / 2;
        const int slice = 32 * 1024;
        for (var at = 0; at < half; at += slice)
        {
            await http.Response.Body.WriteAsync(content.AsMemory(at, Math.Min(slice, half - at)), http.RequestAborted);
            await http.Response.Body.FlushAsync(http.RequestAborted);
            // Slow enough for the worker to report progress (at most four times a second) while the body is arriving.
            await Task.Delay(100, http.RequestAborted);
        }

        await rest.WaitAsync(TimeSpan.FromMinutes(2), http.RequestAborted);
        await http.Response.Body.WriteAsync(content.AsMemory(half), http.RequestAborted);
    });

    protected override Dictionary<string, string> Settings() => new()
    {
        ["Registry:Jobs:RunWorker"] = "true",
        ["Registry:Jobs:PollInterval"] = "00:00:00.100",
        ["Registry:Downloads:AllowedHosts"] = $"127.0.0.1:{Files.Port}",
    };
}

/// <summary>The downloads page in a real browser, following a real download.</summary>
public sealed class DownloadsPageTests(DownloadsFixture fixture) : IClassFixture<DownloadsFixture>
{
    [Fact]
    public async Task A_download_s_progress_bar_moves_before_the_download_completes()
    {
        var content = RandomNumberGenerator.GetBytes(1_000_000);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.MapHeldFile("/files/held.gguf", content, finish.Task);
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await session.GoAsync("#/downloads");
        await Expect(page.Heading("Downloads", 1)).ToBeVisibleAsync();

        await page.GetByLabel("Model ref").FillAsync(fixture.Files.Url("/files/held.gguf"));
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("held");
        await page.Button("Download").ClickAsync();

        const string label = "Progress of held v1";
        var progress = page.GetByRole(AriaRole.Progressbar, new() { Name = label, Exact = true });
        await Expect(progress).ToHaveAttributeAsync("max", content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.WaitForFunctionAsync(
            "label => { const p = [...document.querySelectorAll('progress')].find(e => e.getAttribute('aria-label') === label); return !!p && p.value > 0 && p.value < p.max; }",
            label, new() { Timeout = 30_000 });
        finish.SetResult();

        var row = page.Locator("main tr").Filter(new() { Has = progress });
        await Expect(row).ToContainTextAsync("succeeded", new() { Timeout = 30_000 });
        await Expect(progress).ToHaveJSPropertyAsync("value", (double)content.Length);
        await Expect(page.Button("Cancel download of held v1")).ToHaveCountAsync(0);
    }
}
