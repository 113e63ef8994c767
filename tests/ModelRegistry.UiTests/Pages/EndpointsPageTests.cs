using Microsoft.Playwright;
using ModelRegistry.UiTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace ModelRegistry.UiTests.Pages;

/// <summary>The endpoints page in a real browser against the real application.</summary>
public sealed class EndpointsPageTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task An_endpoint_added_through_the_form_is_listed_with_its_type_and_health_and_removing_it_empties_the_list()
    {
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await session.GoAsync("#/endpoints");
        await Expect(page.Heading("Endpoints", 1)).ToBeVisibleAsync();
        await Expect(page.GetByText("No endpoints yet.")).ToBeVisibleAsync();

        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("gpu-box");
        await page.GetByLabel("Base URL").FillAsync("http://127.0.0.1:9");
        await page.GetByLabel("Type").SelectOptionAsync("openai-compatible");
        await Expect(page.GetByLabel("Endpoint API key")).ToHaveAttributeAsync("type", "password");
        await page.Button("Add").ClickAsync();

        var row = page.Locator("main tbody tr").Filter(new() { HasText = "gpu-box" });
        await Expect(row).ToContainTextAsync("http://127.0.0.1:9");
        await Expect(row).ToContainTextAsync("openai-compatible");
        await Expect(row.Locator(".badge")).ToHaveCountAsync(1);
        await Expect(page.Button("Check gpu-box now")).ToBeVisibleAsync();
        var listed = await fixture.GetJsonAsync("/api/v1/endpoints");
        Assert.Equal("gpu-box", listed[0].GetProperty("name").GetString());

        await page.Button("Remove gpu-box").ClickAsync();
        await page.ConfirmAsync("Remove gpu-box", "not needed");

        await Expect(row).ToHaveCountAsync(0);
        await Expect(page.GetByText("No endpoints yet.")).ToBeVisibleAsync();
        Assert.Equal(0, (await fixture.GetJsonAsync("/api/v1/endpoints")).GetArrayLength());
    }

    [Fact]
    public async Task The_endpoints_link_is_in_the_navigation_of_a_signed_in_key()
    {
        await using var session = await fixture.OpenAsync();

        await session.Page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Endpoints" }).ClickAsync();

        await Expect(session.Page.Heading("Endpoints", 1)).ToBeVisibleAsync();
    }
}
