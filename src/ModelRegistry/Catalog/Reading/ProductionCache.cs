using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ModelRegistry.Catalog.Reading;

/// <summary>A model's production pointer as last read, or null when it has none.</summary>
internal sealed record ProductionLookup(string Name, long StreamVersion, ProductionPointerResource? Pointer);

/// <summary>
/// Production pointers in memory, so the hottest read needs no database round trip. An entry is served for
/// at most <see cref="CatalogReadOptions.ProductionCacheTtl"/> after the read that filled it began, whatever
/// happens to notifications: that is the staleness bound. Changes are usually seen much sooner: appends in
/// this process invalidate from the inline projection, other instances' through LISTEN/NOTIFY. An
/// invalidation also sets a floor, the stream version a refill must have reached to be kept, so a read that
/// raced the commit cannot put the old pointer back; this is also what gives a writer read-your-writes.
/// </summary>
internal sealed class ProductionCache(NpgsqlDataSource dataSource, IOptions<CatalogReadOptions> options, TimeProvider time)
{
    private const string LoadSql = $"""
        SELECT m.name, m.stream_version, m.production_version, m.promoted_at, m.promoted_by, v.local_path, v.sha256, v.size_bytes
        FROM {CatalogProjection.Models} m
        LEFT JOIN {CatalogProjection.Versions} v ON v.model_key = m.key AND v.version = m.production_version
        WHERE m.key = $1
        """;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Floor> _floors = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeSpan _ttl = options.Value.ProductionCacheTtl;

    private sealed record Entry(ProductionLookup Value, long ReadStartedAt);

    private readonly record struct Floor(long StreamVersion, long SetAt);

    /// <summary>The pointer of the model stored under <paramref name="key"/>, or null when there is no such model.</summary>
    public async ValueTask<ProductionLookup?> GetAsync(string key, CancellationToken ct)
    {
        var now = time.GetTimestamp();
        if (_entries.TryGetValue(key, out var entry) && time.GetElapsedTime(entry.ReadStartedAt, now) < _ttl)
        {
            return entry.Value;
        }

        var lookup = await LoadAsync(key, ct);
        if (lookup is null)
        {
            // Unknown names are not remembered: anyone could fill memory with them.
            _entries.TryRemove(key, out _);
            return null;
        }

        lock (_gate)
        {
            if (!_floors.TryGetValue(key, out var floor) || lookup.StreamVersion >= floor.StreamVersion
                || time.GetElapsedTime(floor.SetAt) >= _ttl)
            {
                _entries[key] = new Entry(lookup, now);
            }
        }

        return lookup;
    }

    /// <summary>The pointer of <paramref name="key"/> changes at <paramref name="streamVersion"/> (committed or about to be).</summary>
    public void Invalidate(string key, long streamVersion)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            if (_floors.Count > 1024)
            {
                foreach (var expired in _floors.Where(f => time.GetElapsedTime(f.Value.SetAt, now) >= _ttl).Select(f => f.Key).ToList())
                {
                    _floors.Remove(expired);
                }
            }

            if (!_floors.TryGetValue(key, out var floor) || floor.StreamVersion < streamVersion || time.GetElapsedTime(floor.SetAt, now) >= _ttl)
            {
                _floors[key] = new Floor(streamVersion, now);
            }

            _entries.TryRemove(key, out _);
        }
    }

    /// <summary>Forgets everything, e.g. after notifications may have been missed.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
        }
    }

    private async Task<ProductionLookup?> LoadAsync(string key, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(LoadSql);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var name = reader.GetString(0);
        var pointer = reader.IsDBNull(2) || reader.IsDBNull(3)
            ? null
            : new ProductionPointerResource(name, reader.GetInt32(2),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetInt64(7),
                reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4));
        return new ProductionLookup(name, reader.GetInt64(1), pointer);
    }
}
