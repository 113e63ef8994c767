using System.Security.Cryptography;
using ModelRegistry.UiTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace ModelRegistry.UiTests.Pages;

/// <summary>
/// The main pages at a desktop width. With UI_SCREENSHOTS set to a directory (scripts/ui-screenshots.sh sets
/// docs/screenshots) the test also saves what it saw there as catalog.png, model.png and downloads.png.
/// </summary>
public sealed class ScreenshotTests(DownloadsFixture fixture) : IClassFixture<DownloadsFixture>
{
    private const int Width = 1280;

    [Fact]
    public async Task The_catalog_model_and_downloads_pages_fit_a_1280_pixel_window()
    {
        await fixture.CreateModelAsync("acme/sentiment", "sentiment v1", "sentiment v2", "sentiment v3");
        await fixture.CreateModelAsync("acme/summarizer", "summarizer v1");
        await fixture.CreateModelAsync("vision-tagger", "tagger v1", "tagger v2");
        await fixture.PostAsync("/api/v1/models/acme/sentiment/versions/1/promote", new { stage = "production", reason = "first release" });
        await fixture.PostAsync("/api/v1/models/acme/sentiment/versions/2/promote", new { stage = "production", reason = "better recall on the review set" });
        await fixture.PostAsync("/api/v1/models/vision-tagger/versions/1/promote", new { stage = "production", reason = "launch" });
        fixture.Files.MapFile("/files/embedder.gguf", RandomNumberGenerator.GetBytes(200_000));
        await fixture.PostAsync("/api/v1/downloads", new { model_ref = fixture.Files.Url("/files/embedder.gguf"), name = "embedder" });
        await using var session = await fixture.OpenAsync(width: Width, height: 800);
        var page = session.Page;

        await session.GoAsync("#/models");
        await Expect(page.Locator("main table")).ToContainTextAsync("vision-tagger");
        await SaveAsync(session, "catalog");

        await session.GoAsync("#/models/acme/sentiment");
        await Expect(page.Timeline().GetByRole(Microsoft.Playwright.AriaRole.Listitem)).ToHaveCountAsync(2);
        await SaveAsync(session, "model");

        await session.GoAsync("#/downloads");
        await Expect(page.Locator("main table")).ToContainTextAsync("succeeded");
        await SaveAsync(session, "downloads");
    }

    private static async Task SaveAsync(UiSession session, string name)
    {
        Assert.True(await session.Page.EvaluateAsync<bool>($"() => document.documentElement.scrollWidth <= {Width}"), $"The {name} page is wider than {Width} px.");
        if (Environment.GetEnvironmentVariable("UI_SCREENSHOTS") is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
            await session.Page.ScreenshotAsync(new() { Path = Path.Combine(directory, $"{name}.png"), FullPage = true });
        }
    }
}
