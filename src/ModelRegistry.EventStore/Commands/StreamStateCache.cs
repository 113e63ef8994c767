using Microsoft.Extensions.Caching.Memory;

namespace ModelRegistry.EventStore.Commands;

/// <summary>
/// The state each recently written stream had after its last command in this process, so the next command folds only
/// the events appended since (normally none) instead of the whole stream. It is only a starting point: every command
/// still reads the stream's tail from the database before deciding, and its append still checks the version, so
/// another instance's writes are never missed. States must be immutable; bounded by <see cref="Capacity"/> streams.
/// </summary>
public sealed class StreamStateCache : IDisposable
{
    /// <summary>How many streams are remembered at most.</summary>
    public const int Capacity = 10_000;

    private readonly MemoryCache _entries = new(new MemoryCacheOptions { SizeLimit = Capacity, CompactionPercentage = 0.25 });

    internal bool TryGet<TState>(StreamDefinition<TState> stream, string streamId, out TState state, out long version)
    {
        if (_entries.TryGetValue((stream, streamId), out var found) && found is Entry<TState> entry)
        {
            (state, version) = (entry.State, entry.Version);
            return true;
        }

        (state, version) = (stream.Initial, 0);
        return false;
    }

    internal void Remember<TState>(StreamDefinition<TState> stream, string streamId, TState state, long version) =>
        _entries.Set((stream, streamId), new Entry<TState>(state, version), new MemoryCacheEntryOptions { Size = 1 });

    /// <inheritdoc />
    public void Dispose() => _entries.Dispose();

    private sealed record Entry<TState>(TState State, long Version);
}
