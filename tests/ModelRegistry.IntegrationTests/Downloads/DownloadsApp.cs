using Alba;
using ModelRegistry.Access;
using Microsoft.AspNetCore.Builder;
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
/// The app composed as Program.cs composes it (catalog and downloads) in an Alba host, on a test
/// class's database and storage root, allowed to download from the loopback server only, whose <c>/hub</c> is the hub.
/// </summary>
internal sealed class DownloadsApp : IAsyncDisposable
{
    private DownloadsApp(IAlbaHost host, string storageRoot)
    {
        Host = host;
        StorageRoot = storageRoot;
        Client = host.Server.CreateClient();
    }

    public IAlbaHost Host { get; }

    public string StorageRoot { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => Host.Services;

    public IEventStore Store => Services.GetRequiredService<IEventStore>();

    public HttpMessageHandler CreateHandler() => Host.Server.CreateHandler();

    public static async Task<DownloadsApp> StartAsync(TestDatabase db, string storageRoot, LoopbackServer server, ILoggerProvider? logs = null)
    {
        var builder = WebApplication.CreateBuilder();
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
        var host = await AlbaHost.For(builder, app =>
        {
            app.UseRegistryPlatform();
            app.MapCatalog();
            app.MapDownloads();
        });
        return new DownloadsApp(host.UseTestDefaults(), storageRoot);
    }

    public Task<IScenarioResult> Scenario(Action<Scenario> configure) => Host.Scenario(configure, () => []);

    /// <summary>A GET whatever it answers, for tests that wait for a state.</summary>
    public Task<IScenarioResult> GetAsync(string url) =>
        Scenario(s =>
        {
            s.Get.Url(url);
            s.IgnoreStatusCode();
        });

    public async Task<IReadOnlyList<object>> EventsAsync(string model) =>
        (await Store.ReadStreamAsync(CatalogStream.StreamId(model))).Select(e => e.Data).ToList();

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
