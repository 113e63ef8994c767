using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using ModelRegistry.UiTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace ModelRegistry.UiTests.Pages;

/// <summary>The model page in a real browser against the real application, whose download worker is off.</summary>
public sealed class ModelPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Promoting_a_version_with_a_reason_moves_production_to_it_and_adds_it_to_the_production_timeline()
    {
        await fixture.CreateModelAsync("promoted", "first bytes", "second bytes");
        await fixture.PostAsync("/api/v1/models/promoted/versions/1/promote", new { stage = "production", reason = "baseline" });
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await session.GoAsync("#/models/promoted");
        await Expect(page.Section("Production")).ToContainTextAsync("v1");
        await Expect(page.Timeline().GetByRole(AriaRole.Listitem)).ToHaveCountAsync(1);

        await page.Button("Promote v2").ClickAsync();
        await page.ConfirmAsync("Promote v2 to production", "better on the evaluation set");

        await Expect(page.Section("Production")).ToContainTextAsync("v2");
        await Expect(page.Section("Production")).Not.ToContainTextAsync("v1");
        await Expect(page.VersionRow(2)).ToContainTextAsync("production");
        await Expect(page.Timeline().GetByRole(AriaRole.Listitem)).ToHaveCountAsync(2);
        await Expect(page.Timeline().GetByRole(AriaRole.Listitem).Filter(new() { HasText = "better on the evaluation set" })).ToContainTextAsync("v2");
    }

    [Fact]
    public async Task Promoting_a_version_that_is_not_ready_shows_the_refusal_s_title_in_the_page()
    {
        await fixture.PostAsync("/api/v1/models", new { name = "pending" });
        // Queued but never fetched: this application runs no downloads, so the version stays pending.
        await fixture.PostAsync("/api/v1/models/pending/versions", new { source = new { type = "url", uri = "https://example.com/m.gguf" } });
        var refusal = await RefusalAsync("/api/v1/models/pending/versions/1/promote", new { stage = "production", reason = "try" });
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await session.GoAsync("#/models/pending");
        await Expect(page.VersionRow(1)).ToContainTextAsync("pending");

        await page.Button("Promote v1").ClickAsync();
        await page.ConfirmAsync("Promote v1 to production", "ship it");

        await Expect(page.Locator("main").GetByRole(AriaRole.Alert).First).ToContainTextAsync(refusal.Title);
        await Expect(page.Section("Production")).ToContainTextAsync("none");
    }

    [Fact]
    public async Task A_promotion_made_elsewhere_shows_on_an_open_model_page_without_a_reload()
    {
        await fixture.CreateModelAsync("watched", "first bytes", "second bytes");
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await session.GoAsync("#/models/watched");
        await Expect(page.Section("Production")).ToContainTextAsync("none");

        await fixture.PostAsync("/api/v1/models/watched/versions/2/promote", new { stage = "production", reason = "promoted by someone else" });

        await Expect(page.Section("Production")).ToContainTextAsync("v2");
        await Expect(page.VersionRow(2)).ToContainTextAsync("production");
    }

    [Fact]
    public async Task A_change_from_a_page_that_is_out_of_date_is_refused_as_changed_meanwhile()
    {
        await fixture.CreateModelAsync("stale", "first bytes", "second bytes");
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await session.GoAsync("#/models/stale");
        await Expect(page.VersionRow(2)).ToContainTextAsync("staging");

        // A change the page does not follow live (only production changes are watched) moves the stream on.
        await fixture.PostAsync("/api/v1/models/stale/versions/1/archive", new { reason = "archived elsewhere" });
        await page.Button("Archive v2").ClickAsync();
        await page.ConfirmAsync("Archive v2", "tidy up");

        await Expect(page.Locator("main").GetByRole(AriaRole.Alert).First).ToContainTextAsync("Changed meanwhile");
        var version = await fixture.GetJsonAsync("/api/v1/models/stale/versions/2");
        Assert.Equal("staging", version.GetProperty("stage").GetString());
    }

    [Fact]
    public async Task As_of_a_moment_between_two_promotions_shows_the_earlier_production_version()
    {
        await fixture.CreateModelAsync("travelled", "old bytes", "new bytes");
        await fixture.PostAsync("/api/v1/models/travelled/versions/1/promote", new { stage = "production", reason = "old" });
        // A whole second after the first promotion (the control may not take fractions), before the second one.
        var between = WholeSecondAfter(DateTimeOffset.UtcNow);
        await UntilPastAsync(between);
        await fixture.PostAsync("/api/v1/models/travelled/versions/2/promote", new { stage = "production", reason = "new" });
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await session.GoAsync("#/models/travelled");
        await Expect(page.Section("Production")).ToContainTextAsync("v2");

        var asOf = page.GetByLabel("As of");
        var local = await asOf.GetAttributeAsync("type") == "datetime-local";
        await asOf.FillAsync(local
            ? between.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
            : between.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        await page.Button("Show").ClickAsync();

        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(@"#/models/travelled\?as_of="));
        await Expect(page.Locator("main").GetByText("As of ", new() { Exact = false }).First).ToBeVisibleAsync();
        await Expect(page.Section("Production")).ToContainTextAsync("v1");
        await Expect(page.Section("Production")).Not.ToContainTextAsync("v2");
        await Expect(page.ActionButtons()).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_reader_sees_the_model_page_without_any_action()
    {
        await fixture.CreateModelAsync("read-only", "reader bytes", "more bytes");
        await fixture.PostAsync("/api/v1/models/read-only/versions/1/promote", new { stage = "production", reason = "live" });
        var reader = await fixture.PostAsync("/api/v1/keys", new { name = "ui-reader", role = "reader" });
        await using var session = await fixture.OpenAsync(reader.GetProperty("key").GetString()!);
        var page = session.Page;
        await Expect(page.Locator("#who")).ToHaveTextAsync("ui-reader (reader)");

        await session.GoAsync("#/models/read-only");

        await Expect(page.Heading("read-only", 1)).ToBeVisibleAsync();
        await Expect(page.VersionRow(2)).ToBeVisibleAsync();
        await Expect(page.Section("Production")).ToContainTextAsync("v1");
        await Expect(page.ActionButtons()).ToHaveCountAsync(0);
        await Expect(page.GetByLabel("Source type")).ToHaveCountAsync(0);
    }

    private async Task<(int Status, string Title)> RefusalAsync(string path, object body)
    {
        using var response = await fixture.Api.PostAsJsonAsync(path, body);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(response.IsSuccessStatusCode, $"POST {path} was accepted.");
        return ((int)response.StatusCode, problem.GetProperty("title").GetString()!);
    }

    private static DateTimeOffset WholeSecondAfter(DateTimeOffset time)
    {
        var next = new DateTimeOffset(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond) + TimeSpan.TicksPerSecond, TimeSpan.Zero);
        // A datetime-local control writes HH:mm for a whole minute; keep the seconds so the value is typed as given.
        return next.Second == 0 ? next.AddSeconds(1) : next;
    }

    private static async Task UntilPastAsync(DateTimeOffset time)
    {
        var wait = time - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }
    }
}
