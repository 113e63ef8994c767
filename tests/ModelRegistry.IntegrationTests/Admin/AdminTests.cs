using System.Diagnostics;
using ModelRegistry.EventStore.Projections;
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
        await App.Services.GetRequiredService<IProjectionAdmin>().WaitForNonStaleAsync(TimeSpan.FromSeconds(30));

        var status = Assert.Single(await App.Services.GetRequiredService<IProjectionAdmin>().GetStatusAsync(), s => s.Name == "catalog");
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
    public async Task The_executable_lists_projections_and_requests_rebuilds_from_the_command_line()
    {
        var list = await RunAsync("projections", "list");
        var rebuild = await RunAsync("projections", "rebuild", "catalog");
        var migrate = await RunAsync("db", "migrate");

        Assert.Contains("catalog", list);
        Assert.Contains("catalog: rebuild requested", rebuild);
        Assert.Contains("Schema is up to date.", migrate);
    }

    [Fact]
    public async Task The_executable_creates_lists_and_revokes_keys_and_a_created_key_works_over_http()
    {
        var name = $"ops-{Guid.NewGuid():N}"[..12];

        var created = await RunAsync("keys", "create", name, "--role", "publisher");
        var key = created.Split(':', 2)[1].Split('\n')[0].Trim();
        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { name = $"m-{Guid.NewGuid():N}"[..10] }).ToUrl("/api/v1/models");
            s.WithBearerToken(key);
            s.StatusCodeShouldBe(201);
        });
        var listed = await RunAsync("keys", "list");
        var revoked = await RunAsync("keys", "revoke", name);

        Assert.StartsWith("mr_", key, StringComparison.Ordinal);
        Assert.Contains(name, listed);
        Assert.Contains("publisher", listed);
        Assert.DoesNotContain(key, listed);
        Assert.Contains($"{name}: revoked.", revoked);
        await using var fresh = await fixture.StartAsync();
        await fresh.Scenario(s => { s.Get.Url("/api/v1/models"); s.WithBearerToken(key); s.StatusCodeShouldBe(401); });
    }

    private async Task<string> RunAsync(params string[] args)
    {
        var server = Path.Combine(AppContext.BaseDirectory, "ModelRegistry.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(server);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ConnectionStrings__Registry"] = App.ConnectionString;
        start.Environment["Registry__Storage__Root"] = App.StorageRoot;
        start.Environment["Registry__Auth__BootstrapAdminKey"] = RegistryApp.AdminKey;
        start.Environment["Registry__EventStore__RunDaemon"] = "false";
        start.Environment["Registry__Jobs__RunWorker"] = "false";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, await error);
        return await output;
    }
}
