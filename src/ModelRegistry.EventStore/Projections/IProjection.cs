using Npgsql;

namespace ModelRegistry.EventStore.Projections;

/// <summary>When a projection sees events.</summary>
public enum ProjectionLifecycle
{
    /// <summary>In the append's own transaction.</summary>
    Inline,

    /// <summary>In the daemon, after commit, from a stored checkpoint.</summary>
    Async,
}

/// <summary>
/// A read model built from events. Its tables are named by <see cref="ProjectionBatch.Table"/> so a
/// rebuild can fill shadow copies; indexes and constraints must be left unnamed so copies never clash.
/// Apply must be idempotent: the daemon delivers at least once.
/// </summary>
public interface IProjection
{
    /// <summary>Unique name, also the checkpoint's key.</summary>
    string Name { get; }

    /// <summary>Bump it to rebuild the read model from the first event.</summary>
    int Version { get; }

    /// <summary>Inline or async.</summary>
    ProjectionLifecycle Lifecycle { get; }

    /// <summary>The logical names of the tables it owns.</summary>
    IReadOnlyList<string> Tables { get; }

    /// <summary>DDL that creates its tables if missing, using <paramref name="table"/> to name each.</summary>
    string CreateTablesSql(Func<string, string> table);

    /// <summary>Applies a batch of events, in position order, inside the batch's transaction.</summary>
    Task ApplyAsync(ProjectionBatch batch, CancellationToken ct);
}

/// <summary>Events to apply and where to write them.</summary>
public sealed class ProjectionBatch : DeferringTransaction
{
    private readonly Func<string, string> _table;

    /// <summary>A batch whose deferred writes its owner flushes (see <see cref="FlushAsync"/>).</summary>
    public ProjectionBatch(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StoredEvent> events,
        Func<string, string> table, bool isRebuild)
        : this(connection, transaction, events, table, isRebuild, new DeferredWork(), isInline: false)
    {
    }

    internal ProjectionBatch(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StoredEvent> events,
        Func<string, string> table, bool isRebuild, DeferredWork deferred, bool isInline)
        : base(connection, transaction, deferred)
    {
        Events = events;
        IsRebuild = isRebuild;
        IsInline = isInline;
        _table = table;
    }

    /// <summary>The events, in position order.</summary>
    public IReadOnlyList<StoredEvent> Events { get; }

    /// <summary>True when writing into shadow tables.</summary>
    public bool IsRebuild { get; }

    /// <summary>
    /// True in the append's own transaction: the events were written just now, so the tables cannot hold anything newer and
    /// the checks that make a replay a no-op can be left out.
    /// </summary>
    public bool IsInline { get; }

    /// <summary>The physical name of a logical table for this batch.</summary>
    public string Table(string logicalName) => _table(logicalName);

    /// <summary>A command bound to the batch's transaction.</summary>
    public NpgsqlCommand Command(string sql) => new(sql, Connection, Transaction);

    /// <summary>Executes what was deferred, for owners of the transaction that do not commit with it.</summary>
    internal async Task FlushAsync(CancellationToken ct)
    {
        await Deferred.ExecuteAsync(Connection, Transaction, Work, commit: false, ct);
    }
}

/// <summary>Statements sent together in one round trip, optionally with the COMMIT.</summary>
internal static class Deferred
{
    private const string GenericPlans = "SET LOCAL plan_cache_mode = force_generic_plan";

    public static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, DeferredWork work, bool commit,
        CancellationToken ct)
    {
        if (work.IsEmpty)
        {
            if (commit)
            {
                await transaction.CommitAsync(ct);
            }

            return;
        }

        // The deferred statements are prepared and their parameters are mostly arrays (one element per append of a group).
        // PostgreSQL keeps planning such a statement for each execution, because a plan for the actual array lengths looks
        // cheaper than the generic one; measured under load that planning cost the row statement of a registration
        // three times its execution. The cached generic plan does the same work, so this transaction uses it.
        // A COMMIT sent as a statement ends the transaction on the server; Npgsql sees the connection idle again and the
        // transaction object then has nothing left to commit or roll back.
        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { new NpgsqlBatchCommand(GenericPlans) } };
        foreach (var command in work.Take())
        {
            batch.BatchCommands.Add(command);
        }

        if (commit)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        }

        await batch.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>A projection's progress and health.</summary>
/// <param name="Name">Projection name.</param>
/// <param name="Version">Version in code.</param>
/// <param name="StoredVersion">Version the live tables were built with.</param>
/// <param name="Lifecycle">inline or async.</param>
/// <param name="Checkpoint">Last position applied (the safe head for inline projections).</param>
/// <param name="Head">The gap-safe head of the store.</param>
/// <param name="Lag">Head minus checkpoint.</param>
/// <param name="State">running, rebuilding, rebuild_pending or faulted.</param>
/// <param name="LastError">The error that faulted it, if any.</param>
/// <param name="RebuildPosition">How far a running rebuild has replayed.</param>
/// <param name="LastUpdated">When progress was last recorded.</param>
public sealed record ProjectionStatus(
    string Name, int Version, int StoredVersion, string Lifecycle, long Checkpoint, long Head, long Lag, string State,
    string? LastError, long? RebuildPosition, DateTimeOffset LastUpdated);
