using Alba;
using Marten;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.Benchmarks.Harness;

/// <summary>
/// The application in this process, built by its own <c>Program</c> (Alba's host: every registration, Marten and Wolverine as the
/// application configures them) on a scenario's database, as a quiet instance: no async daemon, no download worker and so no
/// durability agent, no periodic jobs, warnings only. For what a scenario runs through the application's services (seeding through
/// its inline projection, the catalog's rebuild); HTTP load goes to the built application in a process of its own instead.
/// </summary>
internal sealed class AppHost : IAsyncDisposable
{
    private readonly IAlbaHost _host;
    private readonly string _storageRoot;

    private AppHost(IAlbaHost host, string storageRoot)
    {
        _host = host;
        _storageRoot = storageRoot;
    }

    public IServiceProvider Services => _host.Services;

    public IDocumentStore Store => Services.GetRequiredService<IDocumentStore>();

    /// <summary>
    /// Starts the application (which applies Marten's schema, every module's tables included). <paramref name="settings"/> are
    /// configuration keys added to or overriding the quiet defaults; <paramref name="services"/> runs after the application's own
    /// registrations (where a scenario tries one of Marten's settings the configuration does not expose).
    /// </summary>
    public static async Task<AppHost> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var storageRoot = Directory.CreateTempSubdirectory("mr-bench-app-").FullName;
        var all = new Dictionary<string, string>
        {
            ["ConnectionStrings:Registry"] = connectionString,
            ["Registry:Storage:Root"] = storageRoot,
            ["Registry:Auth:BootstrapAdminKey"] = "bench-app-admin-key",
            ["Registry:EventStore:RunDaemon"] = "false",
            ["Registry:Jobs:RunWorker"] = "false",
            ["Registry:Integrity:Interval"] = "00:00:00",
            ["Registry:Storage:CleanupInterval"] = "00:00:00",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        // The application's command line and Marten write what they find to the console as it starts; the scenario's lines matter here.
        var console = Console.Out;
        Console.SetOut(TextWriter.Null);
        try
        {
            var host = await AlbaHost.For<Program>(builder =>
            {
                // The application's build output, with its appsettings.json, as the built application runs from it.
                builder.UseContentRoot(Path.GetDirectoryName(ServerProcess.ApplicationPath)!);
                foreach (var (key, value) in all)
                {
                    builder.UseSetting(key, value);
                }

                if (services is not null)
                {
                    builder.ConfigureTestServices(services);
                }
            });
            return new AppHost(host, storageRoot);
        }
        catch
        {
            Directory.Delete(storageRoot, recursive: true);
            throw;
        }
        finally
        {
            Console.SetOut(console);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        try
        {
            Directory.Delete(_storageRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
