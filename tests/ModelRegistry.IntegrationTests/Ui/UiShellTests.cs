using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Ui;

/// <summary>The web UI's shell and assets are served by the app itself, without a key; what they show comes from the API.</summary>
public sealed class UiShellTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    [Fact]
    public async Task The_root_answers_the_ui_shell_even_when_reads_need_a_key()
    {
        await using var closed = await fixture.StartAsync(new Dictionary<string, string?> { ["Registry:Auth:AnonymousReads"] = "false" });

        var page = await closed.Scenario(s => { s.Get.Url("/"); s.Anonymous(); s.StatusCodeShouldBe(200); });

        Assert.StartsWith("text/html", page.ContentType);
        Assert.Contains("<script type=\"module\" src=\"/ui/app.js\"></script>", page.Text);
        await closed.Scenario(s => { s.Get.Url("/api/v1/models"); s.Anonymous(); s.StatusCodeShouldBe(401); });
    }

    [Theory]
    [InlineData("/ui/app.js", "text/javascript")]
    [InlineData("/ui/api.js", "text/javascript")]
    [InlineData("/ui/style.css", "text/css")]
    public async Task The_assets_ship_with_the_app(string path, string contentType)
    {
        var asset = await fixture.App.Scenario(s => { s.Get.Url(path); s.Anonymous(); s.StatusCodeShouldBe(200); });

        Assert.StartsWith(contentType, asset.ContentType);
        Assert.NotEmpty(asset.Bytes);
    }

    [Fact]
    public async Task The_ui_shell_may_load_its_own_scripts_styles_and_api_but_nothing_from_elsewhere()
    {
        var page = await fixture.App.Scenario(s => { s.Get.Url("/"); s.Anonymous(); s.StatusCodeShouldBe(200); });
        var api = await fixture.App.Scenario(s => { s.Get.Url("/api/v1/me"); s.Anonymous(); s.StatusCodeShouldBe(200); });

        Assert.Equal("default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", api.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task Who_am_i_names_the_key_and_its_role_and_anonymous_without_one()
    {
        var admin = await fixture.App.Scenario(s => { s.Get.Url("/api/v1/me"); s.StatusCodeShouldBe(200); });
        var anonymous = await fixture.App.Scenario(s => { s.Get.Url("/api/v1/me"); s.Anonymous(); s.StatusCodeShouldBe(200); });

        Assert.Equal("admin", admin.String("role"));
        Assert.Equal("admin", admin.String("name"));
        Assert.Equal("anonymous", anonymous.String("role"));
    }
}
