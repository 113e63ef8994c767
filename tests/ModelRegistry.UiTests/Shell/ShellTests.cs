using Microsoft.Playwright;
using ModelRegistry.UiTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace ModelRegistry.UiTests.Shell;

/// <summary>The shell in a real browser: it loads from the app and signs in with a pasted key.</summary>
public sealed class ShellTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Signing_in_with_the_admin_key_names_the_key_and_its_role()
    {
        await using var session = await fixture.OpenAsync();

        await Expect(session.Page.Locator("#who")).ToHaveTextAsync("admin (admin)");
        await Expect(session.Page.GetByRole(AriaRole.Link, new() { Name = "Keys" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_root_shows_the_shell_to_a_visitor_without_a_key()
    {
        await using var context = await fixture.Browser.NewContextAsync(new() { BaseURL = fixture.Server.BaseAddress.ToString() });
        var page = await context.NewPageAsync();

        await page.GotoAsync("/");

        await Expect(page).ToHaveTitleAsync("ModelRegistry");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Catalog" })).ToBeVisibleAsync();
        await Expect(page.GetByLabel("API key")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Keys" })).ToBeHiddenAsync();
    }
}
