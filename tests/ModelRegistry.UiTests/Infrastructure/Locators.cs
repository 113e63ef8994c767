using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace ModelRegistry.UiTests.Infrastructure;

/// <summary>The pages' parts by the accessible names the UI promises (see the selector contract), not by markup.</summary>
internal static class Locators
{
    public static ILocator Heading(this IPage page, string name, int? level = null) =>
        page.GetByRole(AriaRole.Heading, new() { Name = name, Exact = true, Level = level });

    /// <summary>The model page's section whose heading is <paramref name="heading"/>, e.g. "Production".</summary>
    public static ILocator Section(this IPage page, string heading) =>
        page.Locator("section").Filter(new() { Has = page.Heading(heading) });

    /// <summary>The row of the versions table for <c>v<paramref name="version"/></c>.</summary>
    public static ILocator VersionRow(this IPage page, int version) =>
        page.Section("Versions").Locator("tbody tr").Filter(new() { Has = page.Locator("td, th").GetByText($"v{version}", new() { Exact = true }) });

    public static ILocator Timeline(this IPage page) => page.GetByRole(AriaRole.List, new() { Name = "Production timeline" });

    /// <summary>The shell's banner that says the registry cannot be reached.</summary>
    public static ILocator Banner(this IPage page) => page.Locator("#banner");

    public static ILocator Button(this IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    /// <summary>Every per-version or per-model action a publisher or admin may be offered.</summary>
    public static ILocator ActionButtons(this IPage page) =>
        page.Locator("main").GetByRole(AriaRole.Button, new() { NameRegex = new Regex(@"^(Promote|Demote|Archive|Restore) v\d+$|^(Rollback|Lock|Unlock|Register)$") });

    /// <summary>Confirms the open confirmation dialog, whose heading is <paramref name="title"/>, with <paramref name="reason"/>.</summary>
    public static async Task ConfirmAsync(this IPage page, string title, string reason)
    {
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Assertions.Expect(dialog.GetByRole(AriaRole.Heading, new() { Name = title, Exact = true })).ToBeVisibleAsync();
        await dialog.GetByLabel("Reason").FillAsync(reason);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Confirm", Exact = true }).ClickAsync();
    }
}
