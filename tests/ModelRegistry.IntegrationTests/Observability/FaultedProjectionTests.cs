using Alba;
using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Observability;

public sealed class FaultedProjectionTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-faulted-").FullName;
    private RegistryApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await RegistryApp.StartAsync(db.ConnectionString, _root, services: s => s.AddInlineProjection<FailingProjection>());

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_faulted_projection_makes_ready_unhealthy_and_names_it()
    {
        await _app.RegisterModel(NewName());
        await _app.Services.GetRequiredService<IProjectionAdmin>().RequestRebuildAsync(FailingProjection.ProjectionName);

        IScenarioResult ready = null!;
        await Eventually.HoldsAsync(async () =>
        {
            ready = await _app.Scenario(s => { s.Get.Url("/health/ready"); s.Anonymous(); s.IgnoreStatusCode(); });
            return ready.Status == 503;
        }, () => ready.Text);

        Assert.Equal("unhealthy", ready.Json.Str("status"));
        var projections = ready.Json.GetProperty("checks").GetProperty("projections");
        Assert.Equal("unhealthy", projections.Str("status"));
        Assert.Contains(FailingProjection.ProjectionName, projections.Str("description"), StringComparison.Ordinal);
        Assert.Contains("cannot project", projections.Str("description"), StringComparison.Ordinal);
        Assert.Equal("faulted", projections.GetProperty("data").GetProperty(FailingProjection.ProjectionName).Str("state"));
        Assert.Equal("healthy", ready.Json.GetProperty("checks").GetProperty("postgresql").Str("status"));
    }

    /// <summary>Projects nothing inline; its rebuild cannot get past the first event.</summary>
    private sealed class FailingProjection : IProjection, IRebuildableProjection
    {
        public const string ProjectionName = "always-failing";

        public string Name => ProjectionName;

        public int Version => 1;

        public IReadOnlyList<string> Tables { get; } = ["test_always_failing"];

        public string CreateTablesSql(Func<string, string> table) => $"CREATE TABLE IF NOT EXISTS {table(Tables[0])} (stream_id text)";

        public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation) => Task.CompletedTask;

        public Task ReplayAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StoredEvent> events,
            Func<string, string> table, CancellationToken ct) =>
            throw new InvalidOperationException($"cannot project {events[0].Type}");
    }
}
