using ModelRegistry.EventStore.Projections;
using Npgsql;

namespace ModelRegistry.EventStore;

/// <summary>Work to do in the append's own transaction (read-model rows, idempotency records, jobs).</summary>
public delegate Task InTransaction(AppendTransaction transaction, CancellationToken ct);

/// <summary>An append's open transaction, after its events are stored and its inline projections applied.</summary>
public sealed class AppendTransaction : DeferringTransaction
{
    internal AppendTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, AppendResult appended, DeferredWork deferred)
        : base(connection, transaction, deferred)
    {
        Appended = appended;
    }

    private List<Func<CancellationToken, Task>>? _afterCommit;

    /// <summary>What was appended.</summary>
    public AppendResult Appended { get; }

    /// <summary>
    /// Runs <paramref name="action"/> once this transaction has committed (never when it rolls back), before the append returns:
    /// for work that must not start before what it depends on is visible, such as handing a message stored in it to its queue.
    /// A failure of the action is not the append's: the append has committed.
    /// </summary>
    public void AfterCommit(Func<CancellationToken, Task> action) => (_afterCommit ??= []).Add(action);

    internal async Task RunAfterCommitAsync(CancellationToken ct)
    {
        foreach (var action in _afterCommit ?? [])
        {
            try
            {
                await action(ct);
            }
            catch (Exception)
            {
                // The transaction has committed; whatever the action would have started is recovered from what it stored.
            }
        }
    }
}

/// <summary>Where to stop (and where to start) when folding a stream.</summary>
/// <param name="Version">Fold events up to and including this stream version.</param>
/// <param name="Timestamp">Fold events stored at or before this moment.</param>
/// <param name="AfterVersion">Fold only events after this stream version: the state given already holds the earlier ones.</param>
public sealed record AsOf(long? Version = null, DateTimeOffset? Timestamp = null, long AfterVersion = 0)
{
    /// <summary>The whole stream.</summary>
    public static AsOf Latest { get; } = new();
}

/// <summary>The event store: one stream per aggregate, one global order for readers.</summary>
public interface IEventStore
{
    /// <summary>The event type registry used for (de)serialization.</summary>
    EventTypeRegistry Types { get; }

    /// <summary>
    /// Appends atomically. A version mismatch raises <see cref="ConcurrencyException"/> and writes nothing;
    /// an append whose event ids are all stored already is a no-op that returns the stored events.
    /// Inline projections and <paramref name="inTransaction"/> run in the same transaction.
    /// </summary>
    Task<AppendResult> AppendAsync(string streamId, string? streamType, ExpectedVersion expected, IReadOnlyList<NewEvent> events,
        EventMetadata metadata, InTransaction? inTransaction = null, CancellationToken ct = default);

    /// <summary>Reads a stream forward from <paramref name="fromVersion"/> (inclusive), or backward from it when <paramref name="backward"/>.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, long fromVersion = 1, int maxCount = int.MaxValue,
        bool backward = false, CancellationToken ct = default);

    /// <summary>The stream's current version, or null when it does not exist.</summary>
    Task<long?> GetStreamVersionAsync(string streamId, CancellationToken ct = default);

    /// <summary>
    /// Events after <paramref name="afterPosition"/> in position order, never past the high-water mark,
    /// so no event that commits later can have a smaller position than one returned.
    /// </summary>
    Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken ct = default);

    /// <summary>The gap-safe head: the highest position below which no event can still appear.</summary>
    Task<long> GetSafeHeadAsync(CancellationToken ct = default);

    /// <summary>The highest position drawn so far (possibly not committed yet).</summary>
    Task<long> GetHeadAsync(CancellationToken ct = default);

    /// <summary>Folds a stream into state, up to a version or a moment.</summary>
    Task<(TState State, long Version)> AggregateAsync<TState>(string streamId, TState initial, Func<TState, StoredEvent, TState> evolve,
        AsOf? asOf = null, CancellationToken ct = default);
}
