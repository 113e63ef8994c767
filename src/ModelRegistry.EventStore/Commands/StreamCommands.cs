using Npgsql;

namespace ModelRegistry.EventStore.Commands;

/// <summary>How a stream folds: its initial state and its Evolve.</summary>
/// <typeparam name="TState">The state.</typeparam>
/// <param name="StreamType">Stored as the stream's type.</param>
/// <param name="Initial">State before the first event.</param>
/// <param name="Evolve">Folds one event into the state.</param>
public sealed record StreamDefinition<TState>(string StreamType, TState Initial, Func<TState, object, TState> Evolve);

/// <summary>What a command did.</summary>
/// <typeparam name="TState">The state.</typeparam>
/// <param name="State">State after the command.</param>
/// <param name="Version">Stream version after the command (unchanged for a no-op).</param>
/// <param name="Appended">What was appended, or null when the decision produced no events.</param>
public sealed record CommandResult<TState>(TState State, long Version, AppendResult? Appended);

/// <summary>
/// The one write path: fold the stream, run a pure decision, append with the version that was read.
/// Without an expected version from the caller, a lost race is retried against the new state.
/// </summary>
public static class StreamCommands
{
    private const int MaxAttempts = 8;

    /// <summary>Handles a command against one stream.</summary>
    /// <param name="store">The event store.</param>
    /// <param name="stream">How the stream folds.</param>
    /// <param name="streamId">The stream key.</param>
    /// <param name="decide">Pure: state and version in, events out (none for a no-op); throws for refusals.</param>
    /// <param name="expectedVersion">The version the caller saw (If-Match), or null to retry lost races.</param>
    /// <param name="metadata">Actor, correlation, causation, reason.</param>
    /// <param name="inTransaction">Extra work in the append's transaction.</param>
    /// <param name="cache">Where the state after the last command is kept, so only the stream's tail is read.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<CommandResult<TState>> HandleAsync<TState>(
        this IEventStore store,
        StreamDefinition<TState> stream,
        string streamId,
        Func<TState, long, IReadOnlyList<object>> decide,
        long? expectedVersion,
        EventMetadata metadata,
        InTransaction? inTransaction = null,
        StreamStateCache? cache = null,
        CancellationToken ct = default)
    {
        // A remembered state is used as it is when the decision appends: the append's version check proves it was
        // current. Whatever is decided without an append (a refusal, a no-op, an If-Match mismatch) is decided again
        // after reading the stream's tail, so nothing is ever refused or skipped on a stale state.
        TState known = stream.Initial;
        long knownVersion = 0;
        var remembered = cache?.TryGet(stream, streamId, out known, out knownVersion) == true;
        var (state, version) = remembered
            ? (known, knownVersion)
            : await store.AggregateAsync(streamId, stream.Initial, (s, e) => stream.Evolve(s, e.Data), ct: ct);
        var current = !remembered;
        for (var attempt = 1; ; )
        {
            IReadOnlyList<object> events = [];
            try
            {
                if (expectedVersion is { } expected && expected != version)
                {
                    throw new ConcurrencyException(streamId, ExpectedVersion.Exactly(expected), version == 0 ? null : version);
                }

                events = decide(state, version);
            }
            catch (Exception) when (!current)
            {
            }

            if (!current && events.Count == 0)
            {
                (state, version) = await CatchUpAsync(store, stream, streamId, state, version, ct);
                current = true;
                continue;
            }

            if (events.Count == 0)
            {
                cache?.Remember(stream, streamId, state, version);
                return new CommandResult<TState>(state, version, null);
            }

            try
            {
                var appended = await store.AppendAsync(streamId, stream.StreamType, ExpectedVersion.Exactly(version),
                    events.Select(e => new NewEvent(e)).ToList(), metadata, inTransaction, ct);
                var after = events.Aggregate(state, stream.Evolve);
                cache?.Remember(stream, streamId, after, appended.StreamVersion);
                return new CommandResult<TState>(after, appended.StreamVersion, appended);
            }
            catch (Exception ex) when (IsRetryable(ex) && (!current || (expectedVersion is null && attempt < MaxAttempts)))
            {
                if (current)
                {
                    attempt++;
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 * attempt)), ct);
                }

                (state, version) = await CatchUpAsync(store, stream, streamId, state, version, ct);
                current = true;
            }
        }
    }

    private static Task<(TState State, long Version)> CatchUpAsync<TState>(IEventStore store, StreamDefinition<TState> stream, string streamId,
        TState state, long version, CancellationToken ct) =>
        store.AggregateAsync(streamId, state, (s, e) => stream.Evolve(s, e.Data), new AsOf(AfterVersion: version), ct);

    private static bool IsRetryable(Exception ex) => ex switch
    {
        ConcurrencyException => true,
        PostgresException pg => pg.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure,
        _ => false,
    };
}
