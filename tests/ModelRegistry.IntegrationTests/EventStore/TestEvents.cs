using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore;

internal sealed record Incremented(int Amount);

internal sealed record Noted(string Text);

internal static class TestEvents
{
    public static void Register(EventTypeRegistry registry) =>
        registry.Register<Incremented>("Incremented").Register<Noted>("Noted");

    public static NewEvent Inc(int amount = 1, Guid? id = null) => new(new Incremented(amount), id);
}

/// <summary>
/// One row per stream: how many events and their sum; idempotent by stream version. Inline in Marten's append, and rebuilt
/// through <see cref="ReplayAsync"/>.
/// </summary>
internal class CounterProjection(string name, int version = 1) : IProjection, IRebuildableProjection
{
    public const string TableName = "test_counters";

    public string Name { get; } = name;

    public int Version { get; } = version;

    public IReadOnlyList<string> Tables { get; } = [TableFor(name)];

    public static string TableFor(string name) => $"{TableName}_{name.Replace('-', '_')}";

    public string CreateTablesSql(Func<string, string> table) =>
        $"CREATE TABLE IF NOT EXISTS {table(Tables[0])} (stream_id text PRIMARY KEY, events bigint NOT NULL, total bigint NOT NULL, last_version bigint NOT NULL)";

    private static string Upsert(string table, string stream, string amount, string version) => $"""
        INSERT INTO {table} AS t (stream_id, events, total, last_version) VALUES ({stream}, 1, {amount}, {version})
        ON CONFLICT (stream_id) DO UPDATE SET events = t.events + 1, total = t.total + excluded.total, last_version = excluded.last_version
        WHERE t.last_version < excluded.last_version
        """;

    public virtual Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        foreach (var e in events)
        {
            operations.QueueSqlCommand('^', Upsert(Tables[0], "^::text", "^::bigint", "^::bigint"), e.StreamKey!, Amount(e.Data), e.Version);
        }

        return Task.CompletedTask;
    }

    public virtual async Task ReplayAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StoredEvent> events,
        Func<string, string> table, CancellationToken ct)
    {
        foreach (var e in events)
        {
            await using var cmd = new NpgsqlCommand(Upsert(table(Tables[0]), "@s", "@a", "@v"), connection, transaction);
            cmd.Parameters.AddWithValue("s", e.StreamId);
            cmd.Parameters.AddWithValue("a", Amount(e.Data));
            cmd.Parameters.AddWithValue("v", e.StreamVersion);
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }

    protected virtual long Amount(object data) => data is Incremented inc ? inc.Amount : 0;
}
