using System.Text.RegularExpressions;
using ModelRegistry.Admin;
using ModelRegistry.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ModelRegistry.IntegrationTests.Admin;

public sealed class AdminTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>
{
    private RegistryApp App => fixture.App;

    [Fact]
    public async Task The_projection_status_lists_each_projection_with_its_progress()
    {
        await App.Scenario(s => { s.Post.SnakeJson(new { name = "status-model" }).ToUrl("/api/v1/models"); s.StatusCodeShouldBe(201); });

        var response = await App.Scenario(s => { s.Get.Url("/api/v1/admin/projections"); s.Anonymous(); s.StatusCodeShouldBe(200); });

        var catalog = Assert.Single(response.Json.EnumerateArray(), p => p.GetProperty("name").GetString() == "catalog");
        Assert.Equal("inline", catalog.GetProperty("lifecycle").GetString());
        Assert.Equal("running", catalog.GetProperty("state").GetString());
        Assert.True(catalog.GetProperty("head").GetInt64() > 0);
        Assert.Equal(0, catalog.GetProperty("lag").GetInt64());
    }

    [Fact]
    public async Task A_rebuild_request_is_accepted_and_the_catalog_keeps_answering_until_it_is_swapped_in()
    {
        await App.Scenario(s => { s.Post.SnakeJson(new { name = "rebuilt-model" }).ToUrl("/api/v1/models"); s.StatusCodeShouldBe(201); });

        await App.Scenario(s => { s.Post.Url("/api/v1/admin/projections/catalog/rebuild"); s.StatusCodeShouldBe(202); });
        await App.Scenario(s => { s.Get.Url("/api/v1/models/rebuilt-model"); s.Anonymous(); s.StatusCodeShouldBe(200); });
        await App.Services.GetRequiredService<ProjectionAdmin>().WaitForNonStaleAsync(TimeSpan.FromSeconds(30));

        var status = Assert.Single(await App.Services.GetRequiredService<ProjectionAdmin>().GetStatusAsync(), s => s.Name == "catalog");
        Assert.Equal("running", status.State);
        await App.Scenario(s => { s.Get.Url("/api/v1/models/rebuilt-model"); s.Anonymous(); s.StatusCodeShouldBe(200); });
    }

    [Fact]
    public async Task A_rebuild_needs_credentials_and_a_known_projection()
    {
        await App.Scenario(s => { s.Post.Url("/api/v1/admin/projections/catalog/rebuild"); s.Anonymous(); s.StatusCodeShouldBe(401); });
        var missing = await App.Scenario(s => { s.Post.Url("/api/v1/admin/projections/nothing/rebuild"); s.StatusCodeShouldBe(404); });

        missing.Problem("projection-not-found");
    }

    [Fact]
    public async Task The_executable_lists_projections_and_rebuilds_the_catalog_from_the_command_line()
    {
        var list = await RunAsync("registry-projections", "list");
        var rebuild = await RunAsync("registry-projections", "rebuild", "catalog");
        var unknown = await RunAsync("registry-projections", "rebuild", "nothing");
        var all = await RunAsync("registry-projections", "rebuild");

        Assert.Matches(new Regex(@"(?m)^catalog\s+v\d+ inline\s+\S+\s+checkpoint \d+ head \d+ lag \d+"), list);
        Assert.Matches(new Regex(@"(?m)^catalog: rebuilt up to position \d+ and swapped in without read downtime\.$"), rebuild);
        Assert.Contains("nothing: no such projection.", unknown, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"(?m)^catalog: rebuilt up to position \d+ and swapped in"), all);
        await App.Services.GetRequiredService<ProjectionAdmin>().WaitForNonStaleAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task The_executable_creates_lists_and_revokes_keys_and_a_created_key_works_over_http()
    {
        var name = $"ops-{Guid.NewGuid():N}"[..12];
        var other = $"ops-{Guid.NewGuid():N}"[..12];

        var created = await RunAsync("keys", "create", name, "publisher");
        var key = Regex.Match(created, $@"(?m)^{name} \(publisher\): (mr_\S+)$").Groups[1].Value;
        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name = $"m-{Guid.NewGuid():N}"[..10] }).ToUrl("/api/v1/models");
            s.WithBearerToken(key);
            s.StatusCodeShouldBe(201);
        });
        var flagged = await RunAsync("keys", "create", other, "--role", "reader");
        var listed = await RunAsync("keys", "list");
        var revoked = await RunAsync("keys", "revoke", name);

        Assert.StartsWith("mr_", key, StringComparison.Ordinal);
        Assert.Contains("The key is shown only now; store it safely.", created, StringComparison.Ordinal);
        Assert.Matches(new Regex($@"(?m)^{other} \(reader\): mr_\S+$"), flagged);
        Assert.Matches(new Regex($@"(?m)^{name}\s+publisher\s+created \S+ by cli$"), listed);
        Assert.Matches(new Regex($@"(?m)^{other}\s+reader\s+created "), listed);
        Assert.DoesNotContain(key, listed, StringComparison.Ordinal);
        Assert.Contains($"{name}: revoked.", revoked, StringComparison.Ordinal);
        Assert.Matches(new Regex($@"(?m)^{name}\s+publisher\s+created \S+ by cli revoked \S+$"), await RunAsync("keys", "list"));
        await using var fresh = await fixture.StartAsync();
        await fresh.Scenario(s => { s.Get.Url("/api/v1/models"); s.WithBearerToken(key); s.StatusCodeShouldBe(401); });
    }

    [Fact]
    public async Task The_keys_command_refuses_an_unknown_key_a_bad_role_and_a_wrong_command_line()
    {
        var missing = await AppCommand.RunAsync(App.ConnectionString, App.StorageRoot, "keys", "revoke", "no-such-key");
        var badRole = await AppCommand.RunAsync(App.ConnectionString, App.StorageRoot, "keys", "create", "bad-role", "owner");
        var wrong = await AppCommand.RunAsync(App.ConnectionString, App.StorageRoot, "keys", "remove", "x");

        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no-such-key: no such key.", missing.Error, StringComparison.Ordinal);
        Assert.Equal(1, badRole.ExitCode);
        Assert.Contains("Role", badRole.Error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("bad-role", await RunAsync("keys", "list"), StringComparison.Ordinal);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("usage: keys create <name> <role>", wrong.Error, StringComparison.Ordinal);
    }

    private async Task<string> RunAsync(params string[] args)
    {
        var result = await AppCommand.RunAsync(App.ConnectionString, App.StorageRoot, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Out;
    }
}
