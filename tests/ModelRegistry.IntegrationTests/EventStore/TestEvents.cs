using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Projections;

namespace ModelRegistry.IntegrationTests.EventStore;

internal sealed record Incremented(int Amount);

internal sealed record Noted(string Text);

internal static class TestEvents
{
    public static void Register(EventTypeRegistry registry) =>
        registry.Register<Incremented>("Incremented").Register<Noted>("Noted");

    public static NewEvent Inc(int amount = 1, Guid? id = null) => new(new Incremented(amount), id);
}

/// <summary>One row per stream: how many events and their sum; idempotent by stream version.</summary>
internal class CounterProjection(string name, ProjectionLifecycle lifecycle, int version = 1) : IProjection
{
    public const string TableName = "test_counters";

    public string Name { get; } = name;

    public int Version { get; } = version;

    public ProjectionLifecycle Lifecycle { get; } = lifecycle;

    public IReadOnlyList<string> Tables { get; } = [TableFor(name)];

    public static string TableFor(string name) => $"{TableName}_{name.Replace('-', '_')}";

    public string CreateTablesSql(Func<string, string> table) =>
        $"CREATE TABLE IF NOT EXISTS {table(Tables[0])} (stream_id text PRIMARY KEY, events bigint NOT NULL, total bigint NOT NULL, last_version bigint NOT NULL)";

    public virtual async Task ApplyAsync(ProjectionBatch batch, CancellationToken ct)
    {
        foreach (var e in batch.Events)
        {
            var amount = e.Data is Incremented inc ? inc.Amount : 0;
            await using var cmd = batch.Command($"""
                INSERT INTO {batch.Table(Tables[0])} AS t (stream_id, events, total, last_version) VALUES (@s, 1, @a, @v)
                ON CONFLICT (stream_id) DO UPDATE SET events = t.events + 1, total = t.total + excluded.total, last_version = excluded.last_version
                WHERE t.last_version < excluded.last_version
                """);
            cmd.Parameters.AddWithValue("s", e.StreamId);
            cmd.Parameters.AddWithValue("a", (long)amount);
            cmd.Parameters.AddWithValue("v", e.StreamVersion);
            await cmd.ExecuteNonQueryAsync(ct);
        }
    }
}
