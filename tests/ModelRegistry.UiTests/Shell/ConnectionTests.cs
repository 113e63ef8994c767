using Microsoft.Playwright;
using ModelRegistry.UiTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace ModelRegistry.UiTests.Shell;

/// <summary>
/// The registry going away under an open page and coming back. The application is killed (SIGKILL: its connections are
/// reset and nothing answers on its port) and started again on the same port and database. Chromium's offline mode is
/// no stand-in: it fails new requests but leaves an open event stream connected.
/// </summary>
public sealed class ConnectionTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>, IAsyncLifetime
{
    [Fact]
    public async Task Losing_the_registry_shows_the_banner_until_the_registry_answers_again()
    {
        await fixture.CreateModelAsync("unreachable", "some bytes");
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await session.GoAsync("#/models/unreachable");
        await Expect(page.Section("Production")).ToContainTextAsync("none");
        await Expect(page.Banner()).ToBeHiddenAsync();

        await fixture.Server.KillAsync();

        await Expect(page.Banner()).ToBeVisibleAsync();
        await Expect(page.Banner()).ToContainTextAsync("cannot be reached");

        await fixture.Server.StartAsync();

        await Expect(page.Banner()).ToBeHiddenAsync();
    }

    [Fact]
    public async Task After_the_registry_comes_back_a_promotion_made_elsewhere_shows_on_an_open_model_page_without_a_reload()
    {
        await fixture.CreateModelAsync("reconnected", "first bytes", "second bytes");
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await session.GoAsync("#/models/reconnected");
        await Expect(page.Section("Production")).ToContainTextAsync("none");

        await fixture.Server.KillAsync();
        // The page's watch opening again once the application answers: the promotion below comes after it, live.
        var reopened = page.WaitForResponseAsync(
            response => response.Url.EndsWith("/api/v1/models/reconnected/production/watch", StringComparison.Ordinal) && response.Status == 200,
            new() { Timeout = 0 });
        await fixture.Server.StartAsync();
        Assert.True(
            await Task.WhenAny(reopened, Task.Delay(TimeSpan.FromSeconds(20))) == reopened,
            "The open model page did not open its production watch again once the application answered.");
        await fixture.PostAsync("/api/v1/models/reconnected/versions/2/promote", new { stage = "production", reason = "promoted after the outage" });

        await Expect(page.Section("Production")).ToContainTextAsync("v2");
        await Expect(page.VersionRow(2)).ToContainTextAsync("production");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Leaves the application running for the next test, whatever this one did.</summary>
    public async Task DisposeAsync()
    {
        if (fixture.Server.ProcessId is null)
        {
            await fixture.Server.StartAsync();
        }
    }
}
