using System.Text.Json;
using Alba;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Admin;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Observability;

/// <summary>
/// A stored event no projection can read (a payload that does not fit its type) faults every projection that meets it, visibly:
/// Marten's daemon pauses the async model-state projection, a rebuild of the catalog gives up; neither skips the event.
/// </summary>
public sealed class FaultedProjectionTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-faulted-").FullName;
    private readonly string _poisoned = NewName("poisoned");
    private RegistryApp _app = null!;

    private ProjectionAdmin Projections => _app.Services.GetRequiredService<ProjectionAdmin>();

    public async Task InitializeAsync()
    {
        _app = await RegistryApp.StartAsync(db.ConnectionString, _root);
        await _app.RegisterModel(_poisoned);
        await RawAppend.ExecuteAsync(db.ConnectionString, _poisoned, "VersionRegistered", 1, """{"version": "one", "source": 7}""");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_faulted_async_projection_makes_ready_unhealthy_and_names_it_with_its_error()
    {
        IScenarioResult ready = null!;
        await Eventually.HoldsAsync(async () =>
        {
            ready = await _app.Scenario(s => { s.Get.Url("/health/ready"); s.Anonymous(); s.IgnoreStatusCode(); });
            return ready.Status == 503;
        }, () => ready.Text);

        Assert.Equal("unhealthy", ready.Json.Str("status"));
        var projections = ready.Json.GetProperty("checks").GetProperty("projections");
        Assert.Equal("unhealthy", projections.Str("status"));
        Assert.Contains("model-state", projections.Str("description"), StringComparison.Ordinal);
        Assert.Equal("faulted", projections.GetProperty("data").GetProperty("model-state").Str("state"));
        Assert.Equal("healthy", ready.Json.GetProperty("checks").GetProperty("postgresql").Str("status"));
        JsonElement status = default;
        await Eventually.HoldsAsync(async () =>
        {
            var listed = await _app.Scenario(s => { s.Get.Url("/api/v1/admin/projections"); s.StatusCodeShouldBe(200); });
            status = Assert.Single(listed.Json.EnumerateArray(), p => p.Str("name") == "model-state");
            return status.Str("state") == "faulted";
        }, () => status.ToString());
        Assert.Equal("async", status.Str("lifecycle"));
        Assert.False(string.IsNullOrWhiteSpace(status.Str("last_error")));
    }

    [Fact]
    public async Task A_catalog_rebuild_that_keeps_failing_faults_the_catalog_with_its_error_while_the_live_tables_keep_answering()
    {
        await _app.Scenario(s => { s.Post.Url("/api/v1/admin/projections/catalog/rebuild"); s.StatusCodeShouldBe(202); });

        await Eventually.HoldsAsync(async () => (await CatalogAsync()).State == "faulted",
            () => JsonSerializer.Serialize(Projections.GetStatusAsync().GetAwaiter().GetResult()));

        Assert.False(string.IsNullOrWhiteSpace((await CatalogAsync()).LastError));
        var waiting = await Assert.ThrowsAsync<InvalidOperationException>(() => Projections.WaitForNonStaleAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("faulted", waiting.Message, StringComparison.Ordinal);
        await _app.Scenario(s => { s.Get.Url($"{Models}/{_poisoned}"); s.StatusCodeShouldBe(200); });
        var later = NewName("later");
        await _app.RegisterModel(later);
        await _app.Scenario(s => { s.Get.Url($"{Models}/{later}"); s.StatusCodeShouldBe(200); });
    }

    private async Task<ProjectionStatus> CatalogAsync() => Assert.Single(await Projections.GetStatusAsync(), s => s.Name == "catalog");
}
