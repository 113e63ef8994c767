using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.UiTests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace ModelRegistry.UiTests.Pages;

/// <summary>The application and a loopback server that answers as Ollama does, one model list per path prefix.</summary>
public sealed class ServingFixture : BrowserFixture
{
    internal LoopbackServer Ollama { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Ollama = await LoopbackServer.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Ollama.DisposeAsync();
    }

    /// <summary>
    /// An Ollama endpoint at its own prefix of the loopback server listing <paramref name="name"/>:latest with
    /// <paramref name="digest"/>, added through the API; answers its id once it is healthy and its models are discovered.
    /// </summary>
    public async Task<string> AddOllamaAsync(string endpoint, string name, string digest)
    {
        var body = JsonSerializer.Serialize(new { models = new[] { new { name = $"{name}:latest", digest } } });
        Ollama.Map($"/{endpoint}/api/tags", http =>
        {
            http.Response.ContentType = "application/json";
            return http.Response.WriteAsync(body);
        });
        var id = (await PostAsync("/api/v1/endpoints", new { name = endpoint, base_url = Ollama.Url($"/{endpoint}") })).GetProperty("id").GetString()!;
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (true)
        {
            var found = await GetJsonAsync($"/api/v1/endpoints/{Uri.EscapeDataString(id)}");
            if (found.GetProperty("health_status").GetString() == "healthy" && found.GetProperty("available_models").GetArrayLength() == 1)
            {
                return id;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Endpoint {endpoint} is not healthy with one model: {found}");
            }

            await Task.Delay(100);
        }
    }
}

/// <summary>The model page's "Served by" section: the serving endpoints of the key that serve the model, with their health.</summary>
public sealed class ModelServingTests(ServingFixture fixture) : IClassFixture<ServingFixture>
{
    [Fact]
    public async Task An_endpoint_serving_a_version_s_file_is_listed_as_healthy_and_marks_that_version_as_served()
    {
        await fixture.CreateModelAsync("acme/served", "served bytes", "unserved bytes");
        var sha256 = (await fixture.GetJsonAsync("/api/v1/models/acme/served/versions/1")).GetProperty("sha256").GetString()!;
        await fixture.AddOllamaAsync("ollama-box", "acme/served", sha256);
        await using var session = await fixture.OpenAsync();
        var page = session.Page;

        await session.GoAsync("#/models/acme/served");

        var servedBy = page.Section("Served by");
        var row = servedBy.Locator("tbody tr").Filter(new() { HasText = "ollama-box" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row.GetByRole(AriaRole.Link, new() { Name = "ollama-box", Exact = true })).ToHaveAttributeAsync("href", "#/endpoints");
        await Expect(row.Locator(".badge")).ToHaveTextAsync("healthy");
        await Expect(row.Locator("td[data-label='Type']")).ToHaveTextAsync("ollama");
        await Expect(row).ToContainTextAsync("acme/served:latest");
        await Expect(row).ToContainTextAsync("SHA-256 of v1");
        await Expect(Served(page, 1)).ToBeVisibleAsync();
        await Expect(Served(page, 2)).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_model_no_endpoint_serves_says_so()
    {
        await fixture.CreateModelAsync("unserved", "nobody serves these bytes");
        await using var session = await fixture.OpenAsync();
        var page = session.Page;

        await session.GoAsync("#/models/unserved");

        await Expect(page.Section("Served by")).ToContainTextAsync("No endpoint serves this model.");
        await Expect(page.VersionRow(1)).ToBeVisibleAsync();
        await Expect(Served(page, 1)).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_failing_serving_lookup_is_shown_in_its_section_and_the_rest_of_the_page_still_loads()
    {
        await fixture.CreateModelAsync("lookup-fails", "first bytes", "second bytes");
        await using var session = await fixture.OpenAsync();
        var page = session.Page;
        await page.RouteAsync("**/api/v1/endpoints/serving?*", route => route.FulfillAsync(new()
        {
            Status = 500,
            ContentType = "application/problem+json",
            Body = """{"title":"Lookup broke","status":500}""",
        }));

        await session.GoAsync("#/models/lookup-fails");

        await Expect(page.Section("Served by")).ToContainTextAsync("Lookup broke");
        await Expect(page.VersionRow(2)).ToContainTextAsync("staging");
        await Expect(page.Timeline()).ToBeVisibleAsync();
        await Expect(page.Locator("main").GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_visitor_without_a_key_is_asked_to_sign_in_to_see_the_serving_endpoints()
    {
        await fixture.CreateModelAsync("anonymous-read", "public bytes");
        await using var context = await fixture.Browser.NewContextAsync(new() { BaseURL = fixture.Server.BaseAddress.ToString() });
        var page = await context.NewPageAsync();

        await page.GotoAsync("/#/models/anonymous-read");

        await Expect(page.VersionRow(1)).ToBeVisibleAsync();
        await Expect(page.Section("Served by")).ToContainTextAsync("sign in");
        await Expect(page.Section("Served by").Locator("table")).ToHaveCountAsync(0);
    }

    /// <summary>The mark on a version's row that an endpoint serves its file.</summary>
    private static ILocator Served(IPage page, int version) => page.VersionRow(version).GetByText("served", new() { Exact = true });
}
