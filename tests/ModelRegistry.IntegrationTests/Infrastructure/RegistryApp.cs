using System.Text;
using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using JasperFx.Events;
using Marten;
using ModelRegistry.Catalog;
using Wolverine;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>
/// The whole app in an Alba host (<see cref="AlbaHost.For{TEntryPoint}(Action{IWebHostBuilder}, IAlbaExtension[])"/>) on a
/// test class's own database and storage root. Scenarios are Alba's, as the bootstrap admin unless told otherwise (see
/// <see cref="Scenarios"/>): <c>await app.Scenario(x => { x.Post.SnakeJson(body).ToUrl("/api/v1/models"); x.StatusCodeShouldBe(201); })</c>.
/// </summary>
public sealed class RegistryApp : IAsyncDisposable
{
    public const string AdminKey = "test-bootstrap-admin-key";

    private readonly TestLog _log;

    private RegistryApp(IAlbaHost host, TestLog log, string connectionString, string storageRoot, IReadOnlyDictionary<string, string?> settings,
        Action<IServiceCollection>? services)
    {
        Host = host;
        _log = log;
        ConnectionString = connectionString;
        StorageRoot = storageRoot;
        Settings = settings;
        ConfigureServices = services;
        Client = host.Server.CreateClient();
    }

    public IAlbaHost Host { get; }

    public string ConnectionString { get; }

    public string StorageRoot { get; }

    public IReadOnlyDictionary<string, string?> Settings { get; }

    public Action<IServiceCollection>? ConfigureServices { get; }

    /// <summary>A client of the app in memory, for what a scenario cannot do, such as reading a stream of events as it comes.</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => Host.Services;

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    /// <summary>A handler that reaches this app in memory, for clients that build their own <see cref="HttpClient"/>.</summary>
    public HttpMessageHandler CreateHandler() => Host.Server.CreateHandler();

    /// <summary>Error logs of the app so far; a failed expectation prints them.</summary>
    public IReadOnlyCollection<string> Errors => _log.Errors;

    /// <summary>Every line the app has logged at Information or above, with its scopes' properties.</summary>
    public IReadOnlyCollection<LogLine> Logs => _log.Lines;

    public static async Task<RegistryApp> StartAsync(string connectionString, string storageRoot,
        IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        settings ??= new Dictionary<string, string?>();
        var log = new TestLog();
        var host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:Registry", connectionString);
            builder.UseSetting("Registry:Storage:Root", storageRoot);
            builder.UseSetting("Registry:Auth:BootstrapAdminKey", AdminKey);
            // Catalog tests look at versions as registered; the Downloads tests run the worker themselves.
            builder.UseSetting("Registry:Jobs:RunWorker", "false");
            // One instance on its own database takes every durable message at start; tests of several instances run Balanced.
            builder.UseSetting("Registry:Durability:Mode", "Solo");
            // Nothing is fetched, but a URL must pass the egress policy to be registered: the tests' URLs are on example domains.
            builder.UseSetting("Registry:Downloads:AllowedHosts", "*.example, example.com");
            // Periodic integrity checks and storage cleanups run only where a test turns them on.
            builder.UseSetting("Registry:Integrity:Interval", "00:00:00");
            builder.UseSetting("Registry:Storage:CleanupInterval", "00:00:00");
            // Tests send bursts of commands with one key; the limits tests set their own.
            builder.UseSetting("Registry:Limits:MutationsPerSecond", "100000");
            builder.UseSetting("Registry:Limits:MutationBurst", "100000");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(log);
            });
            if (services is not null)
            {
                builder.ConfigureTestServices(services);
            }
        });
        return new RegistryApp(host.UseTestDefaults(), log, connectionString, storageRoot, settings, services);
    }

    /// <summary>Stops this app and starts a new one on the same database and storage root.</summary>
    public async Task<RegistryApp> RestartAsync()
    {
        await DisposeAsync();
        return await StartAsync(ConnectionString, StorageRoot, Settings, ConfigureServices);
    }

    /// <summary>Runs one of Alba's scenarios on this app; a failed expectation prints the app's error log too.</summary>
    public Task<IScenarioResult> Scenario(Action<Scenario> configure) => Host.Scenario(configure, () => Errors);

    public async Task<IReadOnlyList<IEvent>> StreamAsync(string modelName)
    {
        await using var session = Store.QuerySession();
        return await session.Events.FetchStreamAsync(CatalogStream.StreamId(modelName));
    }

    /// <summary>Runs a command on a model's stream in this app, as its endpoints and workers do.</summary>
    public async Task<CommandDone> InvokeAsync(IModelCommand command)
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IMessageBus>().InvokeAsync<CommandDone>(command);
    }

    /// <summary>Writes a file under the storage root and returns its relative path.</summary>
    public string WriteFile(string relativePath, string content = "model bytes") =>
        WriteFile(relativePath, Encoding.UTF8.GetBytes(content));

    public string WriteFile(string relativePath, byte[] content)
    {
        var path = Path.Combine(StorageRoot, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return relativePath;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
