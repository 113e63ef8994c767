using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelRegistry.Common;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>A generic host running just the event store (migrations, projections, rebuilds) against a test database.</summary>
public sealed class EventStoreHost : IAsyncDisposable
{
    private readonly IHost _host;

    private EventStoreHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public IEventStore Store => Services.GetRequiredService<IEventStore>();

    public NpgsqlDataSource DataSource => Services.GetRequiredService<NpgsqlDataSource>();

    public IProjectionAdmin Projections => Services.GetRequiredService<IProjectionAdmin>();

    public static async Task<EventStoreHost> StartAsync(string connectionString, Action<EventTypeRegistry> types,
        Action<IServiceCollection>? services = null, Action<EventStoreOptions>? options = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddEventStore(connectionString, marten => RegistryStore.Configure(marten, connectionString, _ => { }), types, o =>
        {
            o.PollInterval = TimeSpan.FromMilliseconds(20);
            options?.Invoke(o);
        });
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new EventStoreHost(host);
    }

    public async Task StopAsync() => await _host.StopAsync();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(5));
        }
        catch (OperationCanceledException)
        {
        }

        _host.Dispose();
    }
}
