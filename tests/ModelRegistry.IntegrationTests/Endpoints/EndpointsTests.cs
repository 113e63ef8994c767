using System.Text.Json;
using ModelRegistry.IntegrationTests.Access;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;
using static ModelRegistry.IntegrationTests.Endpoints.EndpointScenarios;

namespace ModelRegistry.IntegrationTests.Endpoints;

public sealed class EndpointsTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task An_endpoint_added_through_the_seed_route_answers_the_seeds_camel_case_shape()
    {
        var name = NewName("ollama");
        var created = await App.Scenario(s =>
        {
            s.Post.CamelJson(new { name, baseUrl = "http://127.0.0.1:9/", isActive = false }).ToUrl(Seed);
            s.StatusCodeShouldBe(201);
        });

        var json = created.Json;
        var id = json.Str("id")!;
        Assert.Equal($"{Seed}/{id}", created.Location);
        Assert.Equal(name, json.Str("name"));
        Assert.Equal("http://127.0.0.1:9/", json.Str("baseUrl"));
        Assert.Equal("ollama", json.Str("endpointType"));
        Assert.False(json.GetProperty("isActive").GetBoolean());
        Assert.Equal("unknown", json.Str("healthStatus"));
        Assert.Equal(JsonValueKind.Array, json.GetProperty("availableModels").ValueKind);
        Assert.True(json.TryGetProperty("createdAt", out _) && json.TryGetProperty("updatedAt", out _));
        Assert.False(json.TryGetProperty("apiKey", out _));
        Assert.False(json.TryGetProperty("base_url", out _));

        var read = (await App.Scenario(s => s.Get.Url($"{V1}/{id}"))).Json;
        Assert.Equal("http://127.0.0.1:9/", read.Str("base_url"));
        Assert.Equal("admin", read.Str("owner"));
    }

    [Fact]
    public async Task Another_principal_gets_404_for_an_endpoint_and_never_sees_it_in_lists()
    {
        var alice = await App.CreateKeyAsync("publisher", NewName("alice"));
        var bob = await App.CreateKeyAsync("publisher", NewName("bob"));
        var endpoint = await App.AddEndpointAsync(new { name = "shared-name", base_url = "http://127.0.0.1:9", is_active = false }, alice);
        var id = endpoint.Str("id");

        foreach (var (method, url) in new[] { ("GET", $"{V1}/{id}"), ("DELETE", $"{V1}/{id}"), ("GET", $"{Seed}/{id}"), ("GET", $"{Seed}/{id}/health"),
                     ("GET", $"{Seed}/{id}/models"), ("GET", $"{Seed}/{id}/usage"), ("POST", $"{Seed}/{id}/health") })
        {
            (await App.Scenario(s => { s.Method(method).Url(url); s.WithBearerToken(bob); s.StatusCodeShouldBe(404); })).Problem("endpoint-not-found");
        }

        var bobs = (await App.Scenario(s => { s.Get.Url(V1); s.WithBearerToken(bob); })).Json;
        Assert.DoesNotContain(bobs.EnumerateArray(), e => e.Str("id") == id);
        var alices = (await App.Scenario(s => { s.Get.Url(Seed); s.WithBearerToken(alice); })).Json;
        Assert.Contains(alices.EnumerateArray(), e => e.Str("id") == id);
        var admins = (await App.Scenario(s => s.Get.Url(V1))).Json;
        Assert.Contains(admins.EnumerateArray(), e => e.Str("id") == id);

        // Not even a rename to one of alice's other names tells bob the endpoint exists.
        await App.AddEndpointAsync(new { name = "alice-two", base_url = "http://127.0.0.1:9", is_active = false }, alice);
        (await App.Scenario(s => { s.Put.SnakeJson(new { name = "alice-two" }).ToUrl($"{V1}/{id}"); s.WithBearerToken(bob); s.StatusCodeShouldBe(404); }))
            .Problem("endpoint-not-found");

        // Names are unique per owner only: bob may use the same one.
        await App.AddEndpointAsync(new { name = "shared-name", base_url = "http://127.0.0.1:9", is_active = false }, bob);
    }

    [Fact]
    public async Task A_reader_may_list_its_own_endpoints_but_not_add_one()
    {
        var reader = await App.CreateKeyAsync("reader");

        await App.Scenario(s => { s.Get.Url(V1); s.WithBearerToken(reader); s.StatusCodeShouldBe(200); });
        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name = "x", base_url = "http://127.0.0.1:9" }).ToUrl(V1);
            s.WithBearerToken(reader);
            s.StatusCodeShouldBe(403);
        });
        await App.Scenario(s => { s.Get.Url(V1); s.Anonymous(); s.StatusCodeShouldBe(401); });
    }

    [Fact]
    public async Task A_second_endpoint_with_the_same_name_for_the_same_owner_is_a_conflict()
    {
        var name = NewName("dup");
        await App.AddEndpointAsync(new { name, base_url = "http://127.0.0.1:9", is_active = false });

        (await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name = name.ToUpperInvariant(), base_url = "http://127.0.0.1:9" }).ToUrl(V1);
            s.StatusCodeShouldBe(409);
        })).Problem("endpoint-name-taken");
    }

    [Theory]
    [InlineData("""{"name":"a","baseUrl":"ftp://127.0.0.1/"}""", "baseUrl")]
    [InlineData("""{"name":"a","baseUrl":"not a url"}""", "baseUrl")]
    [InlineData("""{"name":"a","baseUrl":"http://127.0.0.1/","endpointType":"tensorflow"}""", "endpointType")]
    [InlineData("""{"baseUrl":"http://127.0.0.1/"}""", "name")]
    [InlineData("""{"name":"a"}""", "baseUrl")]
    public async Task Invalid_fields_are_problems_named_in_the_seeds_dialect(string body, string field)
    {
        var problem = (await App.Scenario(s =>
        {
            s.Post.Bytes(System.Text.Encoding.UTF8.GetBytes(body), "application/json").ToUrl(Seed);
            s.StatusCodeShouldBe(400);
        })).Problem("validation");

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Oversized_fields_and_unknown_ones_are_refused_and_nothing_is_written()
    {
        var before = (await App.Scenario(s => s.Get.Url(V1))).Json.GetArrayLength();

        await App.Scenario(s => { s.Post.SnakeJson(new { name = new string('n', 101), base_url = "http://127.0.0.1:9" }).ToUrl(V1); s.StatusCodeShouldBe(400); });
        await App.Scenario(s => { s.Post.SnakeJson(new { name = "n", base_url = "http://127.0.0.1:9", api_key = new string('k', 5000) }).ToUrl(V1); s.StatusCodeShouldBe(400); });
        (await App.Scenario(s => { s.Post.SnakeJson(new { name = "n", base_url = "http://127.0.0.1:9", colour = "red" }).ToUrl(V1); s.StatusCodeShouldBe(400); }))
            .Problem("unknown-field");

        Assert.Equal(before, (await App.Scenario(s => s.Get.Url(V1))).Json.GetArrayLength());
    }

    [Fact]
    public async Task Unknown_ids_are_404()
    {
        (await App.Scenario(s => { s.Get.Url($"{V1}/{Guid.NewGuid()}"); s.StatusCodeShouldBe(404); })).Problem("endpoint-not-found");
        (await App.Scenario(s => { s.Put.SnakeJson(new { name = "x" }).ToUrl($"{V1}/{Guid.NewGuid()}"); s.StatusCodeShouldBe(404); })).Problem("endpoint-not-found");
        (await App.Scenario(s => { s.Delete.Url($"{Seed}/nope"); s.StatusCodeShouldBe(404); })).Problem("endpoint-not-found");
    }

    [Fact]
    public async Task Changes_are_events_on_the_endpoints_stream_with_actor_and_correlation()
    {
        var endpoint = await App.AddEndpointAsync(new { name = NewName("audited"), base_url = "http://127.0.0.1:9", is_active = false });
        var id = endpoint.Str("id")!;
        await App.Scenario(s =>
        {
            s.Put.SnakeJson(new { name = NewName("renamed"), base_url = "http://127.0.0.1:10" }).ToUrl($"{V1}/{id}");
            s.WithRequestHeader("X-Correlation-Id", "endpoint-change-1");
        });
        await App.Scenario(s => { s.Delete.Url($"{Seed}/{id}"); s.StatusCodeShouldBe(204); });

        await using var session = App.Store.QuerySession();
        var events = await session.Events.FetchStreamAsync($"endpoint:{id}");
        Assert.Equal(["EndpointRegistered", "EndpointUpdated", "EndpointRemoved"], events.Select(e => e.EventTypeName));
        Assert.All(events, e => Assert.Equal("admin", e.UserName));
        Assert.Equal("endpoint-change-1", events[1].CorrelationId);
        (await App.Scenario(s => { s.Get.Url($"{V1}/{id}"); s.StatusCodeShouldBe(404); })).Problem("endpoint-not-found");
    }

    [Fact]
    public async Task An_inactive_endpoint_is_activated_and_deactivated()
    {
        var endpoint = await App.AddEndpointAsync(new { name = NewName("toggle"), base_url = "http://127.0.0.1:9", is_active = false });
        var id = endpoint.Str("id")!;

        Assert.True((await App.Scenario(s => s.Post.Url($"{V1}/{id}/activate"))).Json.GetProperty("is_active").GetBoolean());
        Assert.False((await App.Scenario(s => s.Post.Url($"{V1}/{id}/deactivate"))).Json.GetProperty("is_active").GetBoolean());
        Assert.True((await App.Scenario(s => s.Put.CamelJson(new { isActive = true }).ToUrl($"{Seed}/{id}"))).Json.GetProperty("isActive").GetBoolean());
    }

    [Fact]
    public async Task The_audit_shows_endpoint_events_to_admins_only_and_their_owner_reads_them_on_the_endpoint()
    {
        var ownerName = NewName("owner");
        var owner = await App.CreateKeyAsync("publisher", ownerName);
        var other = await App.CreateKeyAsync("reader");
        var id = (await App.AddEndpointAsync(new { name = NewName("private"), base_url = "http://127.0.0.1:9", is_active = false }, owner)).Str("id")!;

        var asOwner = (await App.Scenario(s => { s.Get.Url("/api/v1/audit?limit=200&type=EndpointRegistered"); s.WithBearerToken(owner); })).Json;
        Assert.Empty(asOwner.GetProperty("items").EnumerateArray());
        var asAdmin = (await App.Scenario(s => s.Get.Url("/api/v1/audit?limit=200&type=EndpointRegistered"))).Json;
        Assert.Contains(asAdmin.GetProperty("items").EnumerateArray(), e => e.Str("stream") == $"endpoint:{id}");

        var history = (await App.Scenario(s => { s.Get.Url($"{V1}/{id}/history"); s.WithBearerToken(owner); })).Json;
        var registered = Assert.Single(history.GetProperty("items").EnumerateArray());
        Assert.Equal("EndpointRegistered", registered.Str("type"));
        Assert.Equal(ownerName, registered.Str("actor"));
        await App.Scenario(s => { s.Get.Url($"{V1}/{id}/history"); s.WithBearerToken(other); s.StatusCodeShouldBe(404); });
    }
}
