using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten;
using Marten.Events.Projections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using ModelRegistry.EventStore.Commands;
using ModelRegistry.EventStore.Projections;
using ModelRegistry.EventStore.Storage;
using Npgsql;

namespace ModelRegistry.EventStore;

/// <summary>Registers the event store, its schema, projections and their rebuilds.</summary>
public static class EventStoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds the event store on <paramref name="connectionString"/>, its events in Marten configured by <paramref name="marten"/>
    /// (every registered event type is mapped to its stored name). Marten's schema, migrations and projection tables are
    /// applied when the host starts, before it serves anything; the migrations are part of Marten's schema
    /// (<see cref="MigrationsFeature"/>), so Marten's schema commands (<c>db-apply</c>, <c>db-assert</c>, <c>db-patch</c>) include them;
    /// <paramref name="martenServices"/> is given Marten's registration (to integrate it with Wolverine, say).
    /// </summary>
    public static IServiceCollection AddEventStore(this IServiceCollection services, string connectionString,
        Action<StoreOptions> marten, Action<EventTypeRegistry>? types = null, Action<EventStoreOptions>? configure = null,
        Action<MartenServiceCollectionExtensions.MartenConfigurationExpression>? martenServices = null)
    {
        var options = new EventStoreOptions();
        configure?.Invoke(options);
        options.ConnectionString = connectionString;
        var registry = new EventTypeRegistry();
        types?.Invoke(registry);
        var storeOptions = new StoreOptions();
        marten(storeOptions);
        foreach (var (type, name, schemaVersion) in registry.All)
        {
            storeOptions.Events.MapEventType(type, EventRows.StoredTypeName(name, schemaVersion));
        }

        options.Schema = storeOptions.Events.DatabaseSchemaName;
        // Marten's daemon runs async projections, should any be added; their faults pause them and are reported, never skipped.
        storeOptions.Projections.Errors.SkipApplyErrors = false;
        storeOptions.Projections.Errors.SkipSerializationErrors = false;
        storeOptions.Projections.Errors.SkipUnknownEvents = false;
        storeOptions.Events.EnableExtendedProgressionTracking = true;
        var registered = services.AddMarten(sp =>
            {
                // The rebuildable projections are inline Marten projections: they write in the append's own transaction.
                foreach (var projection in sp.GetServices<IRebuildableProjection>())
                {
                    storeOptions.Projections.Add((IProjection)projection, ProjectionLifecycle.Inline, projection.Name);
                }

                return storeOptions;
            })
            .UseLightweightSessions()
            .AddAsyncDaemon(options.RunDaemon ? DaemonMode.HotCold : DaemonMode.Disabled);
        martenServices?.Invoke(registered);
        // The numbered migrations ride along with Marten's schema, so `db-apply` and the other schema commands cover them.
        services.ConfigureMarten((sp, opts) => opts.Storage.Add(new MigrationsFeature(opts.Advanced.Migrator, sp.GetServices<Migration>())));

        services.AddMetrics();
        services.TryAddSingleton<EventStoreMetrics>();
        services.TryAddSingleton(_ => new NpgsqlDataSourceBuilder(PooledConnectionString(connectionString)).Build());
        services.AddSingleton(options);
        services.AddSingleton(registry);
        services.AddSingleton<HighWaterMark>();
        services.AddSingleton<StreamStateCache>();
        services.AddSingleton<RebuildSignal>();
        services.AddSingleton<MartenEventStore>();
        services.AddSingleton<IEventStore>(sp => sp.GetRequiredService<MartenEventStore>());
        services.AddSingleton<ProjectionStore>();
        services.AddSingleton<IProjectionAdmin, ProjectionAdmin>();
        services.AddSingleton<SchemaMigrator>();
        services.AddHostedService<EventStoreStartup>();
        services.AddHostedService<ProjectionRebuilds>();
        return services;
    }

    // Pooled connections keep their session state, so the statements
    // prepared automatically survive; nothing in the store leaves session state behind (advisory locks are
    // released, settings are local). A rebuild's swap renames tables of the same shape, which PostgreSQL
    // re-plans prepared statements against.
    internal static string PooledConnectionString(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true };
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
        }

        return builder.ConnectionString;
    }

    /// <summary>Applies Marten's schema and pending migrations, and prepares projection tables (what start-up does).</summary>
    public static async Task MigrateEventStoreAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        await services.GetRequiredService<IDocumentStore>().Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await services.GetRequiredService<SchemaMigrator>().MigrateAsync(ct);
        await services.GetRequiredService<ProjectionStore>().EnsureAsync(ct);
    }

    /// <summary>Adds an inline Marten projection whose tables are rebuilt without read downtime (see <see cref="IRebuildableProjection"/>).</summary>
    public static IServiceCollection AddInlineProjection<TProjection>(this IServiceCollection services)
        where TProjection : class, IProjection, IRebuildableProjection
    {
        services.AddSingleton<TProjection>();
        services.AddSingleton<IRebuildableProjection>(sp => sp.GetRequiredService<TProjection>());
        return services;
    }

    /// <summary>Adds <paramref name="projection"/> as an inline Marten projection whose tables are rebuilt without read downtime.</summary>
    public static IServiceCollection AddInlineProjection<TProjection>(this IServiceCollection services, TProjection projection)
        where TProjection : class, IProjection, IRebuildableProjection
    {
        services.AddSingleton<IRebuildableProjection>(projection);
        return services;
    }

    /// <summary>Adds a module's schema migration (ids must be unique and above 100).</summary>
    public static IServiceCollection AddMigration(this IServiceCollection services, Migration migration)
    {
        services.AddSingleton(migration);
        return services;
    }
}

/// <summary>Migrates the schema and prepares projection tables before the host serves requests.</summary>
internal sealed class EventStoreStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => services.MigrateEventStoreAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
