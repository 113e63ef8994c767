using Microsoft.Playwright;
using ModelRegistry.UiTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace ModelRegistry.UiTests.Pages;

/// <summary>The catalog page in a real browser against the real application.</summary>
public sealed class CatalogPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_catalog_lists_the_models_and_the_search_and_stage_filters_narrow_it()
    {
        await fixture.CreateModelAsync("shelf-live", "live bytes");
        await fixture.CreateModelAsync("shelf-idle", "idle bytes");
        await fixture.CreateModelAsync("other-model", "other bytes");
        await fixture.PostAsync("/api/v1/models/shelf-live/versions/1/promote", new { stage = "production", reason = "first" });
        await using var session = await fixture.OpenAsync();
        var page = session.Page;

        await session.GoAsync("#/models");

        await Expect(page.Heading("Catalog", 1)).ToBeVisibleAsync();
        var table = page.Locator("main table");
        foreach (var name in new[] { "shelf-live", "shelf-idle", "other-model" })
        {
            await Expect(ModelLink(table, name)).ToBeVisibleAsync();
        }

        var filters = page.Locator("form.filters");
        await filters.GetByLabel("Search").FillAsync("shelf");
        await filters.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();

        await Expect(ModelLink(table, "other-model")).ToHaveCountAsync(0);
        await Expect(ModelLink(table, "shelf-live")).ToBeVisibleAsync();
        await Expect(ModelLink(table, "shelf-idle")).ToBeVisibleAsync();

        await filters.GetByLabel("Stage").SelectOptionAsync("production");
        await filters.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();

        await Expect(ModelLink(table, "shelf-idle")).ToHaveCountAsync(0);
        await Expect(ModelLink(table, "shelf-live")).ToBeVisibleAsync();
        await Expect(ModelLink(table, "other-model")).ToHaveCountAsync(0);
        await Expect(ModelLink(table, "shelf-live")).ToHaveAttributeAsync("href", "#/models/shelf-live");
    }

    private static ILocator ModelLink(ILocator table, string name) =>
        table.GetByRole(AriaRole.Link, new() { Name = name, Exact = true });
}
