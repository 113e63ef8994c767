using ModelRegistry.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;

namespace ModelRegistry.Benchmarks.Harness;

/// <summary>A generic host running the event store (migrations, projections, daemon) with the application's defaults.</summary>
internal sealed class StoreHost(IHost host) : IAsyncDisposable
{
    public IServiceProvider Services => host.Services;

    public IEventStore Store => Services.GetRequiredService<IEventStore>();

    public IProjectionAdmin Projections => Services.GetRequiredService<IProjectionAdmin>();

    /// <summary>Builds the host without starting it, so a scenario can migrate and seed before the daemon runs.</summary>
    public static StoreHost Create(string connectionString, Action<IServiceCollection>? services = null, Action<EventStoreOptions>? options = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddEventStore(connectionString, marten => RegistryStore.Configure(marten, connectionString, _ => { }), BenchEvents.Register, options);
        services?.Invoke(builder.Services);
        return new StoreHost(builder.Build());
    }

    public Task StartAsync(CancellationToken ct) => host.StartAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync(TimeSpan.FromSeconds(10));
        host.Dispose();
    }
}
