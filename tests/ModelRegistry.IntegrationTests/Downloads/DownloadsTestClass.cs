using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Downloads;

/// <summary>A test class's downloads setup: a storage root of its own, a loopback file server and the app with its download worker.</summary>
public abstract class DownloadsTestClass(TestDatabase db) : IAsyncLifetime
{
    protected string Root { get; } = Directory.CreateTempSubdirectory("mr-downloads-").FullName;

    private protected LoopbackServer Server { get; private set; } = null!;

    /// <summary>Settings of this class's apps beyond <see cref="DownloadsApp"/>'s.</summary>
    private protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    private protected RegistryApp App { get; private set; } = null!;

    private protected TestDatabase Database => db;

    public async Task InitializeAsync()
    {
        Server = await LoopbackServer.StartAsync();
        App = await DownloadsApp.StartAsync(db, Root, Server, Settings);
    }

    public virtual async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Server.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }

    /// <summary>A second app on the same database, storage root and file server, with a download worker of its own.</summary>
    private protected Task<RegistryApp> StartAnotherAsync() => DownloadsApp.StartAsync(db, Root, Server, Settings);

    /// <summary>Stops the app and starts a new one on the same database, storage root and file server.</summary>
    protected async Task RestartAsync()
    {
        await App.DisposeAsync();
        App = await DownloadsApp.StartAsync(db, Root, Server, Settings);
    }
}
