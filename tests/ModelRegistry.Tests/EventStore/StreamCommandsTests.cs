using System.Text.Json;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Commands;

namespace ModelRegistry.Tests.EventStore;

public sealed class StreamCommandsTests
{
    private sealed record Added(int Amount);

    private static readonly StreamDefinition<int> Counter = new("counter", 0, (sum, e) => sum + ((Added)e).Amount);

    [Fact]
    public async Task A_decision_is_appended_with_the_version_it_was_made_on()
    {
        var store = new ScriptedStore(new Added(1), new Added(2));

        var result = await store.HandleAsync(Counter, "c", (sum, _) => [new Added(sum)], null, EventMetadata.None);

        Assert.Equal([ExpectedVersion.Exactly(2)], store.Expectations);
        Assert.Equal((6, 3L), (result.State, result.Version));
    }

    [Fact]
    public async Task A_decision_without_events_appends_nothing()
    {
        var store = new ScriptedStore(new Added(1));

        var result = await store.HandleAsync(Counter, "c", (_, _) => [], null, EventMetadata.None);

        Assert.Empty(store.Expectations);
        Assert.Null(result.Appended);
        Assert.Equal((1, 1L), (result.State, result.Version));
    }

    [Fact]
    public async Task A_lost_race_without_an_expected_version_is_decided_again_on_the_new_state()
    {
        var store = new ScriptedStore(new Added(1)) { LoseNext = 2, Interloper = new Added(10) };
        var seen = new List<int>();

        var result = await store.HandleAsync(Counter, "c", (sum, _) =>
        {
            seen.Add(sum);
            return [new Added(100)];
        }, null, EventMetadata.None);

        Assert.Equal([1, 11, 21], seen);
        Assert.Equal([ExpectedVersion.Exactly(1), ExpectedVersion.Exactly(2), ExpectedVersion.Exactly(3)], store.Expectations);
        Assert.Equal(121, result.State);
    }

    [Fact]
    public async Task A_stale_expected_version_is_refused_before_deciding()
    {
        var store = new ScriptedStore(new Added(1), new Added(1));
        var decided = false;

        var error = await Assert.ThrowsAsync<ConcurrencyException>(() => store.HandleAsync(Counter, "c", (_, _) =>
        {
            decided = true;
            return [new Added(1)];
        }, expectedVersion: 1, EventMetadata.None));

        Assert.False(decided);
        Assert.Equal(2, error.Actual);
        Assert.Empty(store.Expectations);
    }

    [Fact]
    public async Task A_lost_race_with_an_expected_version_is_not_retried()
    {
        var store = new ScriptedStore(new Added(1)) { LoseNext = 1, Interloper = new Added(10) };

        await Assert.ThrowsAsync<ConcurrencyException>(() =>
            store.HandleAsync(Counter, "c", (_, _) => [new Added(1)], expectedVersion: 1, EventMetadata.None));

        Assert.Single(store.Expectations);
    }

    [Fact]
    public async Task Retries_are_bounded()
    {
        var store = new ScriptedStore { LoseNext = int.MaxValue, Interloper = new Added(1) };

        await Assert.ThrowsAsync<ConcurrencyException>(() =>
            store.HandleAsync(Counter, "c", (_, _) => [new Added(1)], null, EventMetadata.None));

        Assert.Equal(8, store.Expectations.Count);
    }

    [Fact]
    public async Task A_remembered_state_is_decided_on_without_reading_the_stream_when_the_decision_appends()
    {
        var (store, cache) = await RememberedAsync();
        var reads = store.Reads;

        var result = await store.HandleAsync(Counter, "c", (sum, _) => [new Added(sum)], null, EventMetadata.None, cache: cache);

        Assert.Equal(reads, store.Reads);
        Assert.Equal((6, 3L), (result.State, result.Version));
    }

    [Fact]
    public async Task A_remembered_state_another_writer_outdated_loses_its_append_and_is_decided_again_on_the_tail()
    {
        var (store, cache) = await RememberedAsync();
        store.AppendedElsewhere(new Added(10));
        var seen = new List<int>();

        var result = await store.HandleAsync(Counter, "c", (sum, _) =>
        {
            seen.Add(sum);
            return [new Added(100)];
        }, null, EventMetadata.None, cache: cache);

        Assert.Equal([3, 13], seen);
        Assert.Equal([ExpectedVersion.Exactly(2), ExpectedVersion.Exactly(3)], store.Expectations[^2..]);
        Assert.Equal((113, 4L), (result.State, result.Version));
    }

    [Fact]
    public async Task A_refusal_on_a_remembered_state_is_decided_again_on_the_tail()
    {
        var (store, cache) = await RememberedAsync();
        store.AppendedElsewhere(new Added(10));

        var result = await store.HandleAsync(Counter, "c",
            (sum, _) => sum < 10 ? throw new InvalidOperationException("too small") : [new Added(1)], null, EventMetadata.None, cache: cache);

        Assert.Equal(14, result.State);
    }

    [Fact]
    public async Task A_no_op_on_a_remembered_state_is_decided_again_on_the_tail()
    {
        var (store, cache) = await RememberedAsync();
        store.AppendedElsewhere(new Added(10));

        var result = await store.HandleAsync(Counter, "c", (sum, _) => sum < 10 ? [] : [new Added(1)], null, EventMetadata.None, cache: cache);

        Assert.NotNull(result.Appended);
        Assert.Equal(14, result.State);
    }

    [Fact]
    public async Task An_expected_version_only_a_remembered_state_had_is_refused_once_the_tail_is_read()
    {
        var (store, cache) = await RememberedAsync();
        store.AppendedElsewhere(new Added(10));

        var error = await Assert.ThrowsAsync<ConcurrencyException>(() =>
            store.HandleAsync(Counter, "c", (_, _) => [new Added(1)], expectedVersion: 2, EventMetadata.None, cache: cache));

        Assert.Equal(3, error.Actual);
    }

    // A stream at version 2 (sum 3) whose state the cache remembers from the command that wrote it.
    private static async Task<(ScriptedStore Store, StreamStateCache Cache)> RememberedAsync()
    {
        var store = new ScriptedStore(new Added(1));
        var cache = new StreamStateCache();
        await store.HandleAsync(Counter, "c", (_, _) => [new Added(2)], null, EventMetadata.None, cache: cache);
        return (store, cache);
    }

    /// <summary>An in-memory stream whose next appends can lose to an interloper.</summary>
    private sealed class ScriptedStore(params object[] history) : IEventStore
    {
        private readonly List<object> _events = [.. history];

        public int LoseNext { get; set; }

        public object? Interloper { get; set; }

        public List<ExpectedVersion> Expectations { get; } = [];

        public EventTypeRegistry Types { get; } = new();

        public int Reads { get; private set; }

        /// <summary>Another writer's append, which this process never saw.</summary>
        public void AppendedElsewhere(object data) => _events.Add(data);

        public Task<(TState State, long Version)> AggregateAsync<TState>(string streamId, TState initial, Func<TState, StoredEvent, TState> evolve,
            AsOf? asOf = null, CancellationToken ct = default)
        {
            Reads++;
            var state = _events.Select((e, i) => Stored(e, i)).Skip((int)(asOf?.AfterVersion ?? 0)).Aggregate(initial, evolve);
            return Task.FromResult((state, (long)_events.Count));
        }

        public Task<AppendResult> AppendAsync(string streamId, string? streamType, ExpectedVersion expected, IReadOnlyList<NewEvent> events,
            EventMetadata metadata, InTransaction? inTransaction = null, CancellationToken ct = default)
        {
            Expectations.Add(expected);
            if (LoseNext > 0)
            {
                LoseNext--;
                _events.Add(Interloper!);
                throw new ConcurrencyException(streamId, expected, _events.Count);
            }

            if (expected.Value != _events.Count)
            {
                throw new ConcurrencyException(streamId, expected, _events.Count);
            }

            _events.AddRange(events.Select(e => e.Data));
            return Task.FromResult(new AppendResult(_events.Count, _events.Select((e, i) => Stored(e, i)).ToList(), false));
        }

        private static StoredEvent Stored(object data, int index) => new(index + 1, Guid.CreateVersion7(), "c", index + 1, "Added", 1,
            JsonSerializer.SerializeToElement(data), data, DateTimeOffset.UnixEpoch, EventMetadata.None);

        public Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, long fromVersion = 1, int maxCount = int.MaxValue, bool backward = false,
            CancellationToken ct = default) => throw new NotSupportedException();

        public Task<long?> GetStreamVersionAsync(string streamId, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterPosition, int maxCount, CancellationToken ct = default) => throw new NotSupportedException();

        public Task<long> GetSafeHeadAsync(CancellationToken ct = default) => throw new NotSupportedException();

        public Task<long> GetHeadAsync(CancellationToken ct = default) => throw new NotSupportedException();
    }
}
