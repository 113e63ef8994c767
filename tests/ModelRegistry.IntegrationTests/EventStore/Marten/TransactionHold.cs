using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>
/// Holds a save's transaction open after its append, so a second writer meets it mid-flight: for an event that
/// <paramref name="holds"/> (by default a lock with <see cref="Reason"/>), this inline projection queues a wait on an advisory
/// lock that the test holds until it opens the gate.
/// </summary>
internal sealed class TransactionHold(Func<object, bool>? holds = null) : IProjection
{
    public const string Reason = "hold the transaction";

    private const long LockKey = 7_340_001;

    private readonly Func<object, bool> _holds = holds ?? (data => data is ModelLocked { Reason: Reason });

    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        if (events.Any(e => _holds(e.Data)))
        {
            operations.QueueSqlCommand($"SELECT pg_advisory_xact_lock_shared({LockKey})");
        }

        return Task.CompletedTask;
    }

    public static async Task<Gate> CloseGateAsync(TestDatabase db)
    {
        var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT pg_advisory_lock({LockKey})", conn);
        await cmd.ExecuteNonQueryAsync();
        return new Gate(db, conn);
    }

    internal sealed class Gate(TestDatabase db, NpgsqlConnection conn) : IAsyncDisposable
    {
        /// <summary>Until this many sessions of the database wait on a lock (the held save on the gate, others on it).</summary>
        public Task WaitForBlockedAsync(int sessions) => Eventually.HoldsAsync(async () => await db.ScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") >= sessions);

        public async Task OpenAsync()
        {
            await using var cmd = new NpgsqlCommand($"SELECT pg_advisory_unlock({LockKey})", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        public ValueTask DisposeAsync() => conn.DisposeAsync();
    }
}
