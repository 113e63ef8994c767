using System.Text.Json;
using System.Text.Json.Serialization;
using JasperFx.Events;
using JasperFx.Events.Daemon;
using Marten;
using Marten.Events;
using ModelRegistry.Catalog;
using Npgsql;
using Weasel.Core;
using Weasel.Postgresql.Tables;
using Wolverine.Marten;

namespace ModelRegistry.Common;

/// <summary><c>Registry:EventStore</c>: whether this instance runs Marten's async daemon, and how a projection rebuild batches its events.</summary>
internal sealed class EventStoreOptions
{
    public const string Section = "Registry:EventStore";

    /// <summary>Whether this instance runs Marten's async daemon (<c>HotCold</c>: one instance runs each projection, another takes over).</summary>
    public bool RunDaemon { get; set; } = true;

    /// <summary>Events per batch when Marten's daemon replays them into a rebuild.</summary>
    public int RebuildBatchSize { get; set; } = 100_000;

    /// <summary>
    /// How many models' states this instance keeps between their commands (each is then read again only from its last event
    /// on); 0 turns Marten's cache off. Marten's cache rebuilds its map on every take, so a take costs every entry.
    /// </summary>
    public int CachedModelStates { get; set; } = RegistryStore.CachedModelStates;
}

/// <summary>
/// Marten configured once: one stream per model keyed by its lower-cased name, explicit stored type names (SPEC §3), every
/// metadata column, appends that never draw a position for a loser of a race (ADR 14), the projections, and Marten's schema
/// applied (with every module's tables) before the application serves anything.
/// </summary>
internal static class RegistryStore
{
    /// <summary>Marten's tables live in their own schema, away from anything else in the database.</summary>
    public const string Schema = "registry";

    /// <summary>
    /// Indexes of ours on Marten's events table for the audit, whose pages are keyset scans on seq_id within one filter; named
    /// and defined as the numbered migration that made them before (113), so a database it made needs no change.
    /// </summary>
    public static IReadOnlyList<IndexDefinition> AuditIndexes() =>
    [
        new("ix_mt_events_user_seq") { Columns = ["user_name", "seq_id"], Predicate = "user_name IS NOT NULL" },
        new("ix_mt_events_type_seq") { Columns = ["type", "seq_id"] },
        new("ix_mt_events_stream_seq") { Columns = ["stream_id", "seq_id"] },
        new("ix_mt_events_timestamp") { Columns = ["timestamp", "seq_id"] },
    ];

    /// <summary>The header that carries a command's human reason on each of its events.</summary>
    public const string ReasonHeader = "reason";

    /// <summary>Marten's stream for the positions of saves that failed after drawing them.</summary>
    public const string TombstoneStream = "mt_tombstone";

    /// <summary>
    /// How many models' states a node keeps between their commands (each is read again only from its last event on). Marten's
    /// cache rebuilds its map on every take, so each command pays for every entry: at 10,000 that was a sixth of the application's
    /// CPU under the register-version load.
    /// </summary>
    public const int CachedModelStates = 1_000;

    public static void Configure(StoreOptions options, string connectionString, Action<IEventStoreOptions> mapEvents)
    {
        // Marten's connections do not prepare automatically: its saves are batches of many different statements, and Npgsql's
        // automatic preparation lost track of a batch's statements after one of them failed (08P01, a bind for another statement's
        // parameters, on the next save on that connection).
        options.Connection(connectionString);
        options.DatabaseSchemaName = Schema;
        options.Events.DatabaseSchemaName = Schema;
        // Payloads as the event store has always written them: snake_case members, dictionary keys as given, enums in
        // snake_case ("huggingface", "production"). A converter in the options outranks the enums' own attribute, so the
        // one Marten adds for AsString is preceded by one that writes what the attribute would.
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.SnakeCase, json =>
        {
            json.DictionaryKeyPolicy = null;
            json.Converters.Insert(0, new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        });

        var events = options.Events;
        events.StreamIdentity = StreamIdentity.AsString;
        // Timestamps come from the application's clock, one per stream and save, and are what inline projections see; at the
        // microseconds PostgreSQL keeps, so what a command answers from its events is what reading them back answers.
        events.AppendMode = EventAppendMode.QuickWithServerTimestamps;
        events.TimeProvider = new MicrosecondClock(TimeProvider.System);
        // The stream row is locked before the version check, so a loser waits, fails and draws no sequence number.
        events.UseExclusiveLockOnConcurrentAppends = true;
        // An event id is stored once: a repeated append of the same events fails instead of writing them twice.
        events.EnableUniqueIndexOnEventId = true;
        events.MetadataConfig.CorrelationIdEnabled = true;
        events.MetadataConfig.CausationIdEnabled = true;
        events.MetadataConfig.UserNameEnabled = true;
        events.MetadataConfig.HeadersEnabled = true;
        var auditIndexes = AuditIndexes();
        foreach (var index in auditIndexes)
        {
            events.IgnoreIndex(index.Name);
        }

        options.Storage.Add(new EventsTableIndexes(options.Advanced.Migrator, Schema, auditIndexes));

        mapEvents(events);
    }

    /// <summary>
    /// Marten on <paramref name="connectionString"/>, integrated with Wolverine: the model streams with their cached state, the
    /// inline catalog, Marten's async daemon (its faults pause a projection and are reported, never skipped), and a data source
    /// for the readers' own SQL.
    /// </summary>
    public static WebApplicationBuilder AddRegistryStore(this WebApplicationBuilder builder, string connectionString)
    {
        var options = builder.Configuration.GetSection(EventStoreOptions.Section).Get<EventStoreOptions>() ?? new EventStoreOptions();
        builder.Services.AddSingleton(options);
        builder.Services.AddMarten(store =>
            {
                Configure(store, connectionString, CatalogStream.Map);
                store.Projections.Errors.SkipApplyErrors = false;
                store.Projections.Errors.SkipSerializationErrors = false;
                store.Projections.Errors.SkipUnknownEvents = false;
                store.Events.EnableExtendedProgressionTracking = true;
                store.Projections.Add(new ModelStateProjection(), JasperFx.Events.Projections.ProjectionLifecycle.Async);
                if (options.CachedModelStates > 0)
                {
                    store.Events.CacheAggregatesForWriting<ModelState>(options.CachedModelStates);
                }
            })
            .UseLightweightSessions()
            .ApplyAllDatabaseChangesOnStartup()
            .AddAsyncDaemon(options.RunDaemon ? DaemonMode.HotCold : DaemonMode.Disabled)
            .IntegrateWithWolverine();
        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(PooledConnectionString(connectionString)).Build());
        return builder;
    }

    // Pooled connections keep their session state, so the statements prepared automatically survive; nothing leaves session
    // state behind (settings are local to their transactions).
    internal static string PooledConnectionString(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true };
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 64;
        }

        return builder.ConnectionString;
    }
}

/// <summary>A clock that reads <paramref name="clock"/> to the microsecond, as PostgreSQL stores a timestamp.</summary>
internal sealed class MicrosecondClock(TimeProvider clock) : TimeProvider
{
    public override DateTimeOffset GetUtcNow()
    {
        var now = clock.GetUtcNow();
        return now.AddTicks(-(now.Ticks % TimeSpan.TicksPerMicrosecond));
    }
}
