using JasperFx.Events;
using Marten;
using Marten.Events;
using Weasel.Core;

namespace ModelRegistry.Common;

/// <summary>
/// Marten configured once: one stream per model keyed by its lower-cased name, explicit stored type names (SPEC §3),
/// every metadata column, and appends that never draw a position for a loser of a race (ADR 14).
/// </summary>
internal static class RegistryStore
{
    /// <summary>Marten's tables live in their own schema, away from anything else in the database.</summary>
    public const string Schema = "registry";

    /// <summary>The header that carries a command's human reason on each of its events.</summary>
    public const string ReasonHeader = "reason";

    public static void Configure(StoreOptions options, string connectionString, Action<IEventStoreOptions> mapEvents)
    {
        options.Connection(connectionString);
        options.DatabaseSchemaName = Schema;
        options.Events.DatabaseSchemaName = Schema;
        // Payloads as the HTTP API writes them: snake_case members, dictionary keys as given, enums by name.
        options.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.SnakeCase, json => json.DictionaryKeyPolicy = null);

        var events = options.Events;
        events.StreamIdentity = StreamIdentity.AsString;
        // Timestamps come from the application's clock, one per stream and save, and are what inline projections see.
        events.AppendMode = EventAppendMode.QuickWithServerTimestamps;
        // The stream row is locked before the version check, so a loser waits, fails and draws no sequence number.
        events.UseExclusiveLockOnConcurrentAppends = true;
        // An event id is stored once: a repeated append of the same events fails instead of writing them twice.
        events.EnableUniqueIndexOnEventId = true;
        events.MetadataConfig.EnableAll();
        // EnableAll leaves out the user name; the actor goes to mt_events.user_name.
        events.MetadataConfig.UserNameEnabled = true;
        mapEvents(events);
    }
}
