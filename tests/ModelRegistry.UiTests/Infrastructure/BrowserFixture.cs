using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.UiTests.Infrastructure;

/// <summary>
/// One real application (a child process on a free loopback port, with its own database and storage root) and one
/// headless Debian Chromium for a test class; each test opens its own browser context through <see cref="OpenAsync"/>.
/// The download worker is off unless a subclass's <see cref="Settings"/> turns it on.
/// </summary>
public class BrowserFixture : IAsyncLifetime
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

    private readonly TestDatabase _database = new();
    private IPlaywright? _playwright;

    public string StorageRoot { get; } = Directory.CreateTempSubdirectory("mr-ui-").FullName;

    public ServerProcess Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The API as the bootstrap admin, for arranging what the pages show.</summary>
    public HttpClient Api { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"The browser tests need Debian's Chromium at {ChromiumPath} (`apt-get install chromium`; `make test` installs it).");
        }

        await _database.InitializeAsync();
        Server = ServerProcess.Create(_database.ConnectionString, StorageRoot, Settings());
        var serverStarted = Server.StartAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
        await serverStarted;
        Api = Server.CreateClient();
        // Two cores shared with the rest of the suite: give the pages time, never a fixed sleep.
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    public virtual async Task DisposeAsync()
    {
        Api?.Dispose();
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await Server.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(StorageRoot, recursive: true);
    }

    /// <summary>A fresh browser context whose page is signed in with <paramref name="key"/> through the sign-in form.</summary>
    public async Task<UiSession> OpenAsync(string key = ServerProcess.AdminKey, int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            // The "As of" control takes local time; UTC makes what the tests type mean one instant everywhere.
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("#who")).Not.ToBeEmptyAsync();
        return new UiSession(context, page);
    }

    /// <summary>A model with one ready version per entry of <paramref name="contents"/> (local files under the storage root).</summary>
    public async Task CreateModelAsync(string name, params string[] contents)
    {
        await PostAsync("/api/v1/models", new { name });
        for (var i = 0; i < contents.Length; i++)
        {
            var file = $"{name}/file-{i + 1}.gguf";
            var path = Path.Combine(StorageRoot, file);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, contents[i]);
            await PostAsync($"/api/v1/models/{name}/versions", new { source = new { type = "local", uri = file } });
        }
    }

    public async Task<JsonElement> PostAsync(string path, object body)
    {
        using var response = await Api.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {text}");
        }

        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Api.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(text).RootElement.Clone()
            : throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {text}");
    }

    /// <summary>Configuration of the application under test, added to <see cref="ServerProcess"/>'s defaults.</summary>
    protected virtual Dictionary<string, string> Settings() => new() { ["Registry:Jobs:RunWorker"] = "false" };
}

/// <summary>One test's browser context and its page; disposing closes the context.</summary>
public sealed class UiSession(IBrowserContext context, IPage page) : IAsyncDisposable
{
    public IPage Page { get; } = page;

    /// <summary>Goes to a route of the UI, e.g. <c>#/models/name</c>, as following a link would.</summary>
    public async Task GoAsync(string route) => await Page.GotoAsync("/" + route);

    public ValueTask DisposeAsync() => context.DisposeAsync();
}
