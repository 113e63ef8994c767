using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;
using static ModelRegistry.IntegrationTests.Access.AccessScenarios;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Access;

public sealed class ApiKeysTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task A_created_key_is_shown_once_listed_without_its_secret_and_stored_only_as_a_hash()
    {
        var name = NewName("ci");

        var created = await App.Scenario(s => { s.Post.SnakeJson(new { name, role = "publisher" }).ToUrl(Keys); s.StatusCodeShouldBe(201); });
        var listed = await App.Scenario(s => { s.Get.Url(Keys); s.StatusCodeShouldBe(200); });

        var key = created.Json.Str("key")!;
        Assert.Equal($"{Keys}/{name}", created.Location);
        Assert.Equal("publisher", created.Json.Str("role"));
        Assert.Matches(@"\Amr_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\z", key);
        Assert.Equal("no-store", created.Headers.CacheControl?.ToString());
        var item = listed.Json.GetProperty("items").EnumerateArray().Single(k => k.Str("name") == name);
        Assert.Equal(("publisher", "admin"), (item.Str("role"), item.Str("created_by")));
        Assert.False(item.TryGetProperty("key", out _));
        Assert.DoesNotContain(key[20..], listed.Text, StringComparison.Ordinal);
        Assert.False(await TableMentionsAsync(key[20..]));
    }

    [Fact]
    public async Task A_keys_name_is_the_actor_its_commands_record()
    {
        var name = NewName("trainer");
        var key = await App.CreateKeyAsync("publisher", name);
        var model = NewName();

        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri = "https://models.example/m.onnx" } }).ToUrl($"{Models}/{model}/versions");
            s.WithBearerToken(key);
            s.StatusCodeShouldBe(202);
        });

        Assert.All(await App.StreamAsync(model), e => Assert.Equal(name, e.UserName));
    }

    [Fact]
    public async Task A_revoked_key_is_refused_at_once_and_revoking_again_changes_nothing()
    {
        var name = NewName("temp");
        var key = await App.CreateKeyAsync("publisher", name);
        await App.Scenario(s => { s.Get.Url(Models); s.WithBearerToken(key); s.StatusCodeShouldBe(200); });

        await App.Scenario(s => { s.Delete.Url($"{Keys}/{name}"); s.StatusCodeShouldBe(204); });
        await App.Scenario(s => { s.Delete.Url($"{Keys}/{name}"); s.StatusCodeShouldBe(204); });

        var refused = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name = NewName() }).ToUrl(Models);
            s.WithBearerToken(key);
            s.StatusCodeShouldBe(401);
        });
        Assert.Equal("application/problem+json", refused.ContentType);
        await App.Scenario(s => { s.Get.Url(Models); s.WithBearerToken(key); s.StatusCodeShouldBe(401); });
        var listed = await App.Scenario(s => { s.Get.Url(Keys); s.StatusCodeShouldBe(200); });
        Assert.NotNull(listed.Json.GetProperty("items").EnumerateArray().Single(k => k.Str("name") == name).Str("revoked_at"));
    }

    [Fact]
    public async Task A_name_is_never_given_to_a_second_key()
    {
        var name = NewName("bot");
        await App.CreateKeyAsync("reader", name);
        await App.Scenario(s => { s.Delete.Url($"{Keys}/{name}"); s.StatusCodeShouldBe(204); });

        var again = await App.Scenario(s => { s.Post.SnakeJson(new { name, role = "admin" }).ToUrl(Keys); s.StatusCodeShouldBe(409); });

        Assert.EndsWith("/key-name-taken", again.Json.Str("type"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name": "admin", "role": "reader"}""", "name")]
    [InlineData("""{"name": "Upper", "role": "reader"}""", "name")]
    [InlineData("""{"name": "ok-name", "role": "owner"}""", "role")]
    [InlineData("""{"role": "reader"}""", "name")]
    public async Task A_key_request_that_breaks_the_rules_is_a_400_on_its_field(string body, string field)
    {
        var refused = await App.Scenario(s => { s.Post.RawJson(body).ToUrl(Keys); s.StatusCodeShouldBe(400); });

        Assert.True(refused.Json.GetProperty("errors").TryGetProperty(field, out _), refused.Text);
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("integrity")]
    [InlineData("downloads")]
    [InlineData("system")]
    [InlineData("anonymous")]
    public async Task A_name_the_registry_records_as_its_own_actor_is_given_to_no_key(string name)
    {
        var refused = await App.Scenario(s => { s.Post.SnakeJson(new { name, role = "admin" }).ToUrl(Keys); s.StatusCodeShouldBe(400); });

        refused.Problem("validation");
        Assert.NotEmpty(refused.FieldErrors("name"));
        var listed = await App.Scenario(s => { s.Get.Url(Keys); s.StatusCodeShouldBe(200); });
        Assert.DoesNotContain(listed.Json.GetProperty("items").EnumerateArray(), k => k.Str("name") == name);
    }

    [Fact]
    public async Task Revoking_an_unknown_key_is_a_404() =>
        await App.Scenario(s => { s.Delete.Url($"{Keys}/{NewName("nobody")}"); s.StatusCodeShouldBe(404); });

    [Fact]
    public async Task A_wrong_key_is_a_401_even_on_a_read_anonymous_readers_may_make()
    {
        await App.Scenario(s => { s.Get.Url(Models); s.Anonymous(); s.StatusCodeShouldBe(200); });

        await App.Scenario(s => { s.Get.Url(Models); s.WithBearerToken("mr_0123456789abcdef_" + new string('x', 43)); s.StatusCodeShouldBe(401); });
        await App.Scenario(s => { s.Get.Url(Models); s.WithBearerToken("not-a-key"); s.StatusCodeShouldBe(401); });
    }

    [Fact]
    public async Task Without_anonymous_reads_a_read_needs_a_key_but_health_and_the_api_description_do_not()
    {
        await using var closed = await fixture.StartAsync(new Dictionary<string, string?> { ["Registry:Auth:AnonymousReads"] = "false" });
        var reader = await closed.CreateKeyAsync("reader");

        await closed.Scenario(s => { s.Get.Url(Models); s.Anonymous(); s.StatusCodeShouldBe(401); });
        await closed.Scenario(s => { s.Get.Url(Models); s.WithBearerToken(reader); s.StatusCodeShouldBe(200); });
        await closed.Scenario(s => { s.Get.Url("/health/live"); s.Anonymous(); s.StatusCodeShouldBe(200); });
        await closed.Scenario(s => { s.Get.Url("/openapi/v1.json"); s.Anonymous(); s.StatusCodeShouldBe(200); });
    }

    [Fact]
    public async Task A_key_is_a_principal_on_every_instance()
    {
        await using var other = await fixture.StartAsync();
        var key = await App.CreateKeyAsync("publisher");

        await other.Scenario(s => { s.Post.SnakeJson(new { name = NewName() }).ToUrl(Models); s.WithBearerToken(key); s.StatusCodeShouldBe(201); });
    }

    private async Task<bool> TableMentionsAsync(string secret)
    {
        await using var connection = new NpgsqlConnection(fixture.Database.ConnectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM mr_api_keys k WHERE k::text LIKE '%' || @s || '%'", connection);
        cmd.Parameters.AddWithValue("s", secret);
        return (long)(await cmd.ExecuteScalarAsync())! > 0;
    }
}
