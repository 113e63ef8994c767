using ModelRegistry.Access;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using ModelRegistry.Downloads;
using ModelRegistry.EventStore;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Downloads;

/// <summary>
/// The app composed as Program.cs composes it (catalog and downloads), on a test
/// class's database and storage root, allowed to download from the loopback server only, whose <c>/hub</c> is the hub.
/// </summary>
internal sealed class DownloadsApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DownloadsApp(WebApplication app, string storageRoot)
    {
        _app = app;
        StorageRoot = storageRoot;
        Client = app.GetTestClient();
    }

    public string StorageRoot { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public IEventStore Store => _app.Services.GetRequiredService<IEventStore>();

    public HttpMessageHandler CreateHandler() => _app.GetTestServer().CreateHandler();

    public static async Task<DownloadsApp> StartAsync(TestDatabase db, string storageRoot, LoopbackServer server, ILoggerProvider? logs = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Registry"] = db.ConnectionString,
            ["Registry:Storage:Root"] = storageRoot,
            ["Registry:Auth:BootstrapAdminKey"] = RegistryApp.AdminKey,
            ["Registry:EventStore:PollInterval"] = "00:00:00.050",
            ["Registry:Downloads:AllowedHosts"] = $"127.0.0.1:{server.Port}",
            ["Registry:HuggingFace:Endpoint"] = server.Url("/hub"),
            ["Registry:HuggingFace:Token"] = "hf_test_token",
            ["Registry:Jobs:PollInterval"] = "00:00:00.050",
            ["Registry:Jobs:HeartbeatInterval"] = "00:00:00.100",
            ["Registry:Jobs:BaseBackoff"] = "00:00:00.050",
            ["Registry:Integrity:Interval"] = "00:00:00",
            ["Registry:Storage:CleanupInterval"] = "00:00:00",
            ["Registry:Limits:MutationsPerSecond"] = "100000",
            ["Registry:Limits:MutationBurst"] = "100000",
        });
        builder.AddRegistryPlatform();
        builder.AddTelemetryExport();
        builder.Services.AddAccess();
        builder.Services.AddCatalog();
        builder.Services.AddDownloads(builder.Configuration);
        var app = builder.Build();
        app.UseRegistryPlatform();
        app.MapCatalog();
        app.MapDownloads();
        await app.StartAsync();
        return new DownloadsApp(app, storageRoot);
    }

    public Task<ScenarioResult> Scenario(Action<Scenario> configure, int? expect = null) =>
        Infrastructure.Scenario.SendAsync(Client, configure, expect);

    public async Task<ScenarioResult> GetAsync(string url) => await Scenario(s => s.Get.ToUrl(url));

    public async Task<IReadOnlyList<object>> EventsAsync(string model) =>
        (await Store.ReadStreamAsync(CatalogStream.StreamId(model))).Select(e => e.Data).ToList();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
