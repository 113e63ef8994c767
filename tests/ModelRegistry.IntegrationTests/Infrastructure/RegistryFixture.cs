namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>One app per test class: its own database (see <see cref="TestDatabase"/>) and its own storage root.</summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    public TestDatabase Database { get; } = new();

    public string StorageRoot { get; } = Directory.CreateTempSubdirectory("mr-storage-").FullName;

    public RegistryApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        App = await StartAsync();
    }

    /// <summary>Another app on the same database and storage root, e.g. with other settings.</summary>
    public Task<RegistryApp> StartAsync(IReadOnlyDictionary<string, string?>? settings = null) =>
        RegistryApp.StartAsync(Database.ConnectionString, StorageRoot, settings);

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Database.DisposeAsync();
        try
        {
            Directory.Delete(StorageRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
