using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.Common;
using Npgsql;
using NpgsqlTypes;

namespace ModelRegistry.Catalog.Reading;

/// <summary>Filters of <c>GET /api/v1/models</c>; every one given must hold.</summary>
internal sealed record ModelQuery(
    string? Text = null,
    IReadOnlyList<KeyValuePair<string, string>>? Tags = null,
    Stage? Stage = null,
    ArtifactStatus? Status = null,
    int Limit = ReadQuery.DefaultLimit,
    string? After = null);

/// <summary>Filters of <c>GET /api/v1/audit</c>; <see cref="From"/> inclusive, <see cref="To"/> exclusive.</summary>
internal sealed record AuditQuery(
    string? Actor = null,
    IReadOnlyList<string>? Types = null,
    string? StreamId = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    int Limit = ReadQuery.DefaultLimit,
    long After = 0,
    IReadOnlyList<string>? HiddenTypes = null);

/// <summary>A version whose file the catalog has on record, and where.</summary>
internal sealed record ArtifactOnRecord(string Name, int Version, string LocalPath, long? SizeBytes, ArtifactStatus Status);

/// <summary>
/// Reads the catalog's tables, and for <c>as_of</c> folds the model's stream up to that moment through
/// <see cref="CatalogView"/>, the same row changes the projection writes. Every read touches a bounded
/// number of rows, however many versions a model has.
/// </summary>
internal sealed class CatalogReader(
    NpgsqlDataSource dataSource,
    IDocumentStore store,
    EventNames names,
    ProductionCache productionCache,
    IOptions<CatalogReadOptions> options)
{
    private static readonly TimeSpan SafeHeadWait = TimeSpan.FromSeconds(2);

    private const string Models = CatalogProjection.Models;
    private const string Versions = CatalogProjection.Versions;
    internal const string ModelColumns =
        "m.key, m.name, m.description, m.tags::text, m.owner, m.locked, m.lock_reason, m.latest_version, m.production_version, "
        + "m.promoted_at, m.promoted_by, m.production_position, m.stream_version, m.created_at, m.updated_at";
    internal const string VersionColumns =
        "v.model_key, v.version, v.stage, v.status, v.source_type, v.source_uri, v.source_revision, v.source_file, v.local_path, "
        + "v.size_bytes, v.sha256, v.format, v.metadata::text, v.created_at, v.created_by, v.downloaded_at, v.duplicate_of";

    public Task<ModelResource?> GetModelAsync(string name, DateTimeOffset? asOf, CancellationToken ct) => GetModelAsync(name, asOf, null, null, ct);

    /// <summary>
    /// A model with its newest <paramref name="versionsLimit"/> versions (default <see cref="CatalogReadOptions.EmbeddedVersions"/>), those
    /// below <paramref name="versionsBefore"/> when given.
    /// </summary>
    public async Task<ModelResource?> GetModelAsync(string name, DateTimeOffset? asOf, int? versionsLimit, int? versionsBefore, CancellationToken ct)
    {
        var key = CatalogStream.StreamId(name);
        var limit = Math.Clamp(versionsLimit ?? options.Value.EmbeddedVersions, 0, ReadQuery.MaxLimit);
        if (asOf is { } at)
        {
            var view = await FoldAsync(key, at, ct);
            return view.Model is { } folded ? CatalogResources.Model(folded, PageOf(view, limit, versionsBefore, out var next), next) : null;
        }

        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command($"SELECT {ModelColumns} FROM {Models} m WHERE m.key = $1", key));
        batch.BatchCommands.Add(Command(
            $"SELECT {VersionColumns} FROM {Versions} v WHERE v.model_key = $1 AND v.version < $2 ORDER BY v.version DESC LIMIT $3",
            key, versionsBefore ?? int.MaxValue, limit + 1));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var model = ReadModel(reader);
        await reader.NextResultAsync(ct);
        var versions = new List<VersionRow>(Math.Min(limit + 1, 128));
        while (await reader.ReadAsync(ct))
        {
            versions.Add(ReadVersion(reader, 0));
        }

        return CatalogResources.Model(model, versions.Take(limit), NextVersionsCursor(versions, limit));
    }

    /// <summary>A page of a model's versions, newest first, or null when there is no such model.</summary>
    public async Task<Page<VersionResource>?> GetVersionsAsync(string name, DateTimeOffset? asOf, int limit, int? before, CancellationToken ct)
    {
        var key = CatalogStream.StreamId(name);
        if (asOf is { } at)
        {
            var view = await FoldAsync(key, at, ct);
            return view.Model is { } folded
                ? new Page<VersionResource>(PageOf(view, limit, before, out var next).Select(v => CatalogResources.Version(folded.Name, v)).ToList(), next)
                : null;
        }

        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command($"SELECT m.name FROM {Models} m WHERE m.key = $1", key));
        batch.BatchCommands.Add(Command(
            $"SELECT {VersionColumns} FROM {Versions} v WHERE v.model_key = $1 AND v.version < $2 ORDER BY v.version DESC LIMIT $3",
            key, before ?? int.MaxValue, limit + 1));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        var modelName = reader.GetString(0);
        await reader.NextResultAsync(ct);
        var versions = new List<VersionRow>();
        while (await reader.ReadAsync(ct))
        {
            versions.Add(ReadVersion(reader, 0));
        }

        return new Page<VersionResource>(versions.Take(limit).Select(v => CatalogResources.Version(modelName, v)).ToList(),
            NextVersionsCursor(versions, limit));
    }

    public async Task<VersionResource?> GetVersionAsync(string name, int version, DateTimeOffset? asOf, CancellationToken ct) =>
        (await GetVersionWithModelVersionAsync(name, version, asOf, ct))?.Version;

    /// <summary>One version and the stream version of its model (the ETag).</summary>
    public async Task<(VersionResource Version, long StreamVersion)?> GetVersionWithModelVersionAsync(string name, int version, DateTimeOffset? asOf,
        CancellationToken ct)
    {
        var key = CatalogStream.StreamId(name);
        if (asOf is { } at)
        {
            var view = await FoldAsync(key, at, ct);
            return view.Model is { } m && view.Versions.TryGetValue(version, out var row)
                ? (CatalogResources.Version(m.Name, row), m.StreamVersion)
                : null;
        }

        await using var cmd = Command(dataSource,
            $"SELECT {VersionColumns}, m.name, m.stream_version FROM {Versions} v JOIN {Models} m ON m.key = v.model_key WHERE v.model_key = $1 AND v.version = $2",
            key, version);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (CatalogResources.Version(reader.GetString(17), ReadVersion(reader, 0)), reader.GetInt64(18)) : null;
    }

    /// <summary>Whether a model exists (now).</summary>
    public async Task<bool> ExistsAsync(string name, CancellationToken ct)
    {
        await using var cmd = Command(dataSource, $"SELECT 1 FROM {Models} WHERE key = $1", CatalogStream.StreamId(name));
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    /// <summary>The production pointer (from memory when current), or null when there is no such model.</summary>
    public async ValueTask<ProductionLookup?> GetProductionAsync(string name, DateTimeOffset? asOf, CancellationToken ct)
    {
        var key = CatalogStream.StreamId(name);
        if (asOf is null)
        {
            return await productionCache.GetAsync(key, ct);
        }

        var view = await FoldAsync(key, asOf.Value, ct);
        return view.Model is { } m ? new ProductionLookup(m.Name, m.StreamVersion, CatalogResources.Pointer(m, view.Production)) : null;
    }

    public async Task<Page<ModelSummaryResource>> ListModelsAsync(ModelQuery query, CancellationToken ct)
    {
        var sql = new StringBuilder($"SELECT {ModelColumns} FROM {Models} m WHERE true");
        await using var cmd = dataSource.CreateCommand();
        string Param(object value, NpgsqlDbType type)
        {
            cmd.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = type, Value = value });
            return "$" + cmd.Parameters.Count.ToString(CultureInfo.InvariantCulture);
        }

        if (query.After is { } after)
        {
            sql.Append($" AND m.key > {Param(after, NpgsqlDbType.Text)}");
        }

        if (query.Text is { Length: > 0 } text)
        {
            var pattern = Param("%" + EscapeLike(text) + "%", NpgsqlDbType.Text);
            sql.Append($" AND (m.name ILIKE {pattern} OR m.description ILIKE {pattern})");
        }

        foreach (var (tagKey, tagValue) in query.Tags ?? [])
        {
            var tag = JsonSerializer.Serialize(new Dictionary<string, string> { [tagKey] = tagValue });
            sql.Append($" AND m.tags @> {Param(tag, NpgsqlDbType.Jsonb)}");
        }

        if (query.Stage == Stage.Production)
        {
            sql.Append(" AND m.production_version IS NOT NULL");
        }
        else if (query.Stage is { } stage)
        {
            sql.Append($" AND EXISTS (SELECT 1 FROM {Versions} v WHERE v.model_key = m.key AND v.stage = {Param(CatalogResources.Lower(stage), NpgsqlDbType.Text)})");
        }

        if (query.Status is { } status)
        {
            sql.Append($" AND EXISTS (SELECT 1 FROM {Versions} v WHERE v.model_key = m.key AND v.status = {Param(CatalogResources.Lower(status), NpgsqlDbType.Text)})");
        }

        sql.Append($" ORDER BY m.key LIMIT {Param(query.Limit + 1, NpgsqlDbType.Integer)}");
        cmd.CommandText = sql.ToString();
        var rows = new List<ModelRow>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add(ReadModel(reader));
        }

        return new Page<ModelSummaryResource>(
            rows.Take(query.Limit).Select(CatalogResources.Summary).ToList(),
            rows.Count > query.Limit ? ReadQuery.Cursor('m', rows[query.Limit - 1].Key) : null);
    }

    /// <summary>The version whose file is at one of <paramref name="paths"/> (the same file, spelled relative and absolute).</summary>
    public async Task<VersionResource?> FindByPathAsync(IReadOnlyList<string> paths, CancellationToken ct)
    {
        // Several versions may point at one file; the one in production answers first, then the newest.
        await using var cmd = dataSource.CreateCommand($"""
            SELECT {VersionColumns}, m.name FROM {Versions} v JOIN {Models} m ON m.key = v.model_key
            WHERE v.local_path = ANY($1)
            ORDER BY (v.stage = 'production') DESC, v.created_at DESC, v.model_key, v.version DESC
            LIMIT 1
            """);
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = paths.ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? CatalogResources.Version(reader.GetString(17), ReadVersion(reader, 0)) : null;
    }

    /// <summary>Which of <paramref name="paths"/> some version's file is at (through the local-path index).</summary>
    public async Task<HashSet<string>> KnownLocalPathsAsync(IReadOnlyCollection<string> paths, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT DISTINCT v.local_path FROM {Versions} v WHERE v.local_path = ANY($1)");
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = paths.ToArray() });
        return await ReadStringsAsync(cmd, ct);
    }

    /// <summary>
    /// Which of <paramref name="paths"/> some version's file is at, compared ignoring (ASCII) letter case as a case-insensitive
    /// file system would; the set answers for any spelling. It scans the versions rather than the local-path index: it is for
    /// rare questions (where a download may publish, what cleanup may delete).
    /// </summary>
    public async Task<HashSet<string>> LocalPathsInUseIgnoringCaseAsync(IReadOnlyCollection<string> paths, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT DISTINCT v.local_path FROM {Versions} v WHERE lower(v.local_path) = ANY($1)");
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = paths.Select(p => p.ToLowerInvariant()).ToArray() });
        return new HashSet<string>(await ReadStringsAsync(cmd, ct), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Which of <paramref name="sha256s"/> some version, in any status, has or expects.</summary>
    public async Task<HashSet<string>> ReferencedSha256sAsync(IReadOnlyCollection<string> sha256s, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT DISTINCT v.sha256 FROM {Versions} v WHERE v.sha256 = ANY($1)");
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = sha256s.ToArray() });
        return await ReadStringsAsync(cmd, ct);
    }

    /// <summary>Every version whose file is on record (ready, missing or corrupted), ordered by model and version.</summary>
    public async Task<IReadOnlyList<ArtifactOnRecord>> ArtifactsOnRecordAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT m.name, v.version, v.local_path, v.size_bytes, v.status FROM {Versions} v JOIN {Models} m ON m.key = v.model_key
            WHERE v.status IN ('ready', 'missing', 'corrupted') AND v.local_path IS NOT NULL AND v.sha256 IS NOT NULL
            ORDER BY v.model_key, v.version
            """);
        var artifacts = new List<ArtifactOnRecord>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            artifacts.Add(new ArtifactOnRecord(reader.GetString(0), reader.GetInt32(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetInt64(3), CatalogResources.Parse<ArtifactStatus>(reader.GetString(4))));
        }

        return artifacts;
    }

    private static async Task<HashSet<string>> ReadStringsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            found.Add(reader.GetString(0));
        }

        return found;
    }

    /// <summary>Bytes of the files versions point at (ready or corrupted ones are on disk), each file counted once.</summary>
    public async Task<StorageResource> GetStorageAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            WITH files AS (
                SELECT DISTINCT ON (v.local_path) v.local_path, v.size_bytes, v.model_key, v.source_type
                FROM {Versions} v
                WHERE v.local_path IS NOT NULL AND v.size_bytes IS NOT NULL AND v.status IN ('ready', 'corrupted')
                ORDER BY v.local_path, v.created_at, v.model_key, v.version
            )
            SELECT m.name, f.source_type, sum(f.size_bytes)::bigint, count(*)
            FROM files f JOIN {Models} m ON m.key = f.model_key
            GROUP BY m.name, f.source_type
            """);
        var rows = new List<(string Model, string SourceType, long Bytes, long Files)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));
            }
        }

        return new StorageResource(
            rows.Sum(r => r.Bytes),
            rows.Sum(r => r.Files),
            rows.GroupBy(r => r.Model).Select(g => new ModelStorage(g.Key, g.Sum(r => r.Bytes), g.Sum(r => r.Files)))
                .OrderByDescending(m => m.Bytes).ThenBy(m => m.Name, StringComparer.Ordinal).ToList(),
            Enum.GetValues<SourceType>().Select(CatalogResources.Lower)
                .Select(t => new SourceTypeStorage(t, rows.Where(r => r.SourceType == t).Sum(r => r.Bytes), rows.Where(r => r.SourceType == t).Sum(r => r.Files)))
                .ToList());
    }

    /// <summary>A model's events, oldest first, or null when there is no such model.</summary>
    public async Task<Page<HistoryItem>?> GetHistoryAsync(string name, int limit, long afterVersion, CancellationToken ct)
    {
        var key = CatalogStream.StreamId(name);
        await using var session = store.QuerySession();
        var events = await session.Events.QueryAllRawEvents()
            .Where(e => e.StreamKey == key && e.Version > afterVersion)
            .OrderBy(e => e.Version)
            .Take(limit + 1)
            .ToListAsync(ct);
        if (events.Count == 0 && await session.Events.FetchStreamStateAsync(key, ct) is null)
        {
            return null;
        }

        return new Page<HistoryItem>(events.Take(limit).Select(Item).ToList(),
            events.Count > limit ? ReadQuery.Cursor('h', events[limit - 1].Version) : null);
    }

    /// <summary>
    /// Events across all streams in position order, never past Marten's high-water mark, so paging on with the cursor cannot
    /// skip an event that commits late with a smaller position.
    /// </summary>
    public async Task<Page<HistoryItem>> GetAuditAsync(AuditQuery query, CancellationToken ct)
    {
        var safeHead = await SafeHeadAsync(ct);
        await using var session = store.QuerySession();
        var events = session.Events.QueryAllRawEvents().Where(e => e.Sequence > query.After && e.Sequence <= safeHead && e.StreamKey != RegistryStore.TombstoneStream);
        if (query.Actor is { } actor)
        {
            events = events.Where(e => e.UserName == actor);
        }

        if (query.Types is { Count: > 0 } types)
        {
            var stored = names.StoredNames(types).ToArray();
            events = events.Where(e => stored.Contains(e.EventTypeName));
        }

        if (query.StreamId is { } stream)
        {
            events = events.Where(e => e.StreamKey == stream);
        }

        if (query.HiddenTypes is { Count: > 0 } hidden)
        {
            var storedHidden = names.StoredNames(hidden).ToArray();
            events = events.Where(e => !storedHidden.Contains(e.EventTypeName));
        }

        if (query.From is { } from)
        {
            var start = from.ToUniversalTime();
            events = events.Where(e => e.Timestamp >= start);
        }

        if (query.To is { } to)
        {
            var end = to.ToUniversalTime();
            events = events.Where(e => e.Timestamp < end);
        }

        var items = (await events.OrderBy(e => e.Sequence).Take(query.Limit + 1).ToListAsync(ct)).Select(Item).ToList();
        return new Page<HistoryItem>(items.Take(query.Limit).ToList(),
            items.Count > query.Limit ? ReadQuery.Cursor('a', items[query.Limit - 1].Position) : null);
    }

    /// <summary>
    /// Marten's high-water mark, given a moment to reach the events committed before the request: a client reading the audit right
    /// after its own change expects to see it, and the mark follows commits only as often as the daemon polls.
    /// </summary>
    private async Task<long> SafeHeadAsync(CancellationToken ct)
    {
        long committed;
        await using (var cmd = dataSource.CreateCommand($"SELECT coalesce(max(seq_id), 0) FROM {RegistryStore.Schema}.mt_events"))
        {
            committed = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }

        var deadline = DateTime.UtcNow + SafeHeadWait;
        var mark = await store.Advanced.ProjectionProgressFor(new ShardName(ShardState.HighWaterMark), token: ct);
        while (mark < committed && DateTime.UtcNow < deadline)
        {
            await Task.Delay(25, ct);
            mark = await store.Advanced.ProjectionProgressFor(new ShardName(ShardState.HighWaterMark), token: ct);
        }

        return mark;
    }

    public HistoryItem Item(IEvent e)
    {
        var (type, schemaVersion) = names.Of(e);
        return new HistoryItem(e.Sequence, e.Id, e.StreamKey!, e.Version, type, schemaVersion, e.Timestamp, e.UserName, e.CorrelationId,
            e.CausationId, e.GetHeader(RegistryStore.ReasonHeader)?.ToString(), names.Json(e));
    }

    /// <summary>The model's rows as they were at <paramref name="asOf"/>, folded from its stream.</summary>
    public async Task<CatalogView> FoldAsync(string key, DateTimeOffset asOf, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var events = await session.Events.FetchStreamAsync(key, timestamp: asOf, token: ct);
        return events.Aggregate(CatalogView.Initial, CatalogView.Evolve);
    }

    private static List<VersionRow> PageOf(CatalogView view, int limit, int? before, out string? next)
    {
        var rows = view.Versions.Values.Reverse().Where(v => before is null || v.Version < before).Take(limit + 1).ToList();
        next = NextVersionsCursor(rows, limit);
        return rows.Take(limit).ToList();
    }

    private static string? NextVersionsCursor(List<VersionRow> newestFirst, int limit) =>
        newestFirst.Count <= limit ? null
        : limit == 0 ? ReadQuery.Cursor('v', (long)int.MaxValue)
        : ReadQuery.Cursor('v', newestFirst[limit - 1].Version);

    private static string EscapeLike(string text) =>
        text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);

    private static NpgsqlBatchCommand Command(string sql, params ReadOnlySpan<object> values) => SqlBatch.Command(sql, values);

    private static NpgsqlCommand Command(NpgsqlDataSource source, string sql, params ReadOnlySpan<object> values)
    {
        var command = source.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }

    private static VersionMetadata ReadMetadata(NpgsqlDataReader r, int ordinal) =>
        r.IsDBNull(ordinal) ? VersionMetadata.Empty : JsonSerializer.Deserialize<VersionMetadata>(r.GetString(ordinal), CatalogProjection.ColumnJson)!;

    internal static ModelRow ReadModel(NpgsqlDataReader r) => new(
        r.GetString(0),
        r.GetString(1),
        r.IsDBNull(2) ? null : r.GetString(2),
        JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(3))!.ToImmutableSortedDictionary(StringComparer.Ordinal),
        r.IsDBNull(4) ? null : r.GetString(4),
        r.GetBoolean(5),
        r.IsDBNull(6) ? null : r.GetString(6),
        r.GetInt32(7),
        r.IsDBNull(8) ? null : r.GetInt32(8),
        r.IsDBNull(9) ? null : r.GetFieldValue<DateTimeOffset>(9),
        r.IsDBNull(10) ? null : r.GetString(10),
        r.IsDBNull(11) ? null : r.GetInt64(11),
        r.GetInt64(12),
        r.GetFieldValue<DateTimeOffset>(13),
        r.GetFieldValue<DateTimeOffset>(14));

    internal static VersionRow ReadVersion(NpgsqlDataReader r, int o) => new(
        r.GetString(o),
        r.GetInt32(o + 1),
        CatalogResources.Parse<Stage>(r.GetString(o + 2)),
        CatalogResources.Parse<ArtifactStatus>(r.GetString(o + 3)),
        new VersionSource(CatalogResources.Parse<SourceType>(r.GetString(o + 4)), r.GetString(o + 5),
            r.IsDBNull(o + 6) ? null : r.GetString(o + 6), r.IsDBNull(o + 7) ? null : r.GetString(o + 7)),
        r.IsDBNull(o + 8) ? null : r.GetString(o + 8),
        r.IsDBNull(o + 9) ? null : r.GetInt64(o + 9),
        r.IsDBNull(o + 10) ? null : r.GetString(o + 10),
        CatalogResources.Parse<ModelFormat>(r.GetString(o + 11)),
        ReadMetadata(r, o + 12),
        r.GetFieldValue<DateTimeOffset>(o + 13),
        r.IsDBNull(o + 14) ? null : r.GetString(o + 14),
        r.IsDBNull(o + 15) ? null : r.GetFieldValue<DateTimeOffset>(o + 15),
        r.IsDBNull(o + 16) ? null : r.GetInt32(o + 16));
}
