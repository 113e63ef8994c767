using System.Collections.Concurrent;
using System.Text.Json;
using JasperFx.Events;
using Marten;
using ModelRegistry.Common;
using Npgsql;
using NpgsqlTypes;
using Weasel.Postgresql;
using Weasel.Postgresql.Tables;
using IMartenProjection = Marten.Events.Projections.IProjection;

namespace ModelRegistry.Catalog.Reading;

/// <summary>
/// The tables the catalog lives in: the live ones, or a rebuild's copies, declared once for Marten's schema management. Their
/// indexes and primary keys carry PostgreSQL's own names for them (<c>{table}_{columns}_idx</c>, <c>{table}_pkey</c>), so a rebuild's
/// copy renamed into place renames its indexes with it to exactly the live names.
/// </summary>
internal sealed record CatalogTables(string Models, string Versions)
{
    public static CatalogTables Live { get; } = new(CatalogProjection.Models, CatalogProjection.Versions);

    /// <summary>A rebuild's copies of the live tables.</summary>
    public static CatalogTables Rebuild(string suffix) => new(Live.Models + suffix, Live.Versions + suffix);

    public IReadOnlyList<(string Table, string Live)> Names => [(Models, Live.Models), (Versions, Live.Versions)];

    public Table ModelsTable()
    {
        var table = new Table(new PostgresqlObjectName("public", Models, SchemaUtils.IdentifierUsage.General)) { PrimaryKeyName = $"{Models}_pkey" };
        table.AddColumn("key", "text").AsPrimaryKey();
        table.AddColumn("name", "text").NotNull();
        table.AddColumn("description", "text");
        table.AddColumn("tags", "jsonb").NotNull().DefaultValueByString("{}");
        table.AddColumn("owner", "text");
        table.AddColumn("locked", "boolean").NotNull().DefaultValueByExpression("false");
        table.AddColumn("lock_reason", "text");
        table.AddColumn("latest_version", "integer").NotNull().DefaultValue(0);
        table.AddColumn("production_version", "integer");
        table.AddColumn("promoted_at", "timestamptz");
        table.AddColumn("promoted_by", "text");
        table.AddColumn("production_position", "bigint");
        table.AddColumn("stream_version", "bigint").NotNull();
        table.AddColumn("created_at", "timestamptz").NotNull();
        table.AddColumn("updated_at", "timestamptz").NotNull();
        table.WithFillFactor(70);
        var tags = new IndexDefinition($"{Models}_tags_idx") { Columns = ["tags"] };
        tags.ToGinWithJsonbPathOps();
        table.Indexes.Add(tags);
        // q's trigram index covers the name, not the key: pg_trgm also answers '=', and on a table without statistics yet (a new
        // database, a rebuild just swapped in) the planner took it for key lookups at a hundred times the cost.
        table.Indexes.Add(new IndexDefinition($"{Models}_name_description_idx")
        {
            Method = IndexMethod.gin,
            Columns = ["name gin_trgm_ops", "description gin_trgm_ops"],
        });
        return table;
    }

    public Table VersionsTable()
    {
        var table = new Table(new PostgresqlObjectName("public", Versions, SchemaUtils.IdentifierUsage.General)) { PrimaryKeyName = $"{Versions}_pkey" };
        table.AddColumn("model_key", "text").AsPrimaryKey();
        table.AddColumn("version", "integer").AsPrimaryKey();
        table.AddColumn("stage", "text").NotNull();
        table.AddColumn("status", "text").NotNull();
        table.AddColumn("source_type", "text").NotNull();
        table.AddColumn("source_uri", "text").NotNull();
        table.AddColumn("source_revision", "text");
        table.AddColumn("source_file", "text");
        table.AddColumn("local_path", "text");
        table.AddColumn("size_bytes", "bigint");
        table.AddColumn("sha256", "text");
        table.AddColumn("format", "text").NotNull();
        table.AddColumn("metadata", "jsonb");
        table.AddColumn("created_at", "timestamptz").NotNull();
        table.AddColumn("created_by", "text");
        table.AddColumn("downloaded_at", "timestamptz");
        table.AddColumn("duplicate_of", "integer");
        table.Indexes.Add(new IndexDefinition($"{Versions}_local_path_idx") { Columns = ["local_path"], Predicate = "local_path IS NOT NULL" });
        table.Indexes.Add(new IndexDefinition($"{Versions}_model_key_stage_idx") { Columns = ["model_key", "stage"] });
        table.Indexes.Add(new IndexDefinition($"{Versions}_model_key_status_idx") { Columns = ["model_key", "status"] });
        return table;
    }
}

/// <summary>
/// The catalog read model, an inline Marten projection so a client that got a 2xx reads its own change: one row per model (with
/// its production pointer) and one per version. Inline, each event becomes at most two single-row statements, queued in Marten's
/// unit of work after the append itself, so they run in the append's transaction and the production position is looked up by event
/// id (Marten has not read positions back yet); the model row's stream version guards its updates. Changes to a production pointer
/// are announced with pg_notify, which PostgreSQL delivers on commit only. Marten's daemon replays stored events in pages when it
/// rebuilds the projection: each page is folded into the rows it touches in memory and written with one statement per table, into
/// the rebuild's copies of the tables (<see cref="ReplayInto"/>).
/// </summary>
internal sealed class CatalogProjection(ProductionCache productionCache, NpgsqlDataSource dataSource) : IMartenProjection
{
    public const string ProjectionName = "catalog";
    public const string Models = "catalog_models";
    public const string Versions = "catalog_versions";

    /// <summary>Bump it to rebuild the catalog from the first event when the new code starts.</summary>
    public const int Version = 1;

    public const string Channel = "mr_catalog";

    // A version row written again (a replay, or a registration the live table has already) takes every column of the new one.
    private const string VersionConflict = """
        ON CONFLICT (model_key, version) DO UPDATE SET stage = excluded.stage, status = excluded.status,
            source_type = excluded.source_type, source_uri = excluded.source_uri, source_revision = excluded.source_revision,
            source_file = excluded.source_file, local_path = excluded.local_path, size_bytes = excluded.size_bytes,
            sha256 = excluded.sha256, format = excluded.format, metadata = excluded.metadata, created_at = excluded.created_at,
            created_by = excluded.created_by, downloaded_at = excluded.downloaded_at, duplicate_of = excluded.duplicate_of
        """;

    // A model's row is replaced only by a newer state of its stream.
    private const string ModelConflict = """
        ON CONFLICT (key) DO UPDATE SET name = excluded.name, description = excluded.description, tags = excluded.tags,
            owner = excluded.owner, locked = excluded.locked, lock_reason = excluded.lock_reason, latest_version = excluded.latest_version,
            production_version = excluded.production_version, promoted_at = excluded.promoted_at, promoted_by = excluded.promoted_by,
            production_position = excluded.production_position, stream_version = excluded.stream_version, updated_at = excluded.updated_at
        WHERE m.stream_version < excluded.stream_version
        """;

    private const int ChangesPerStreamApplied = 8;

    internal static readonly JsonSerializerOptions ColumnJson = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
    };

    private const string Events = $"{RegistryStore.Schema}.mt_events";

    // The SQL for the live tables and for a rebuild's copies, formatted once.
    private readonly ConcurrentDictionary<CatalogTables, Statements> _statements = new();
    private CatalogTables? _replayTarget;
    private long _replayedUpTo;

    /// <summary>The highest position a replay into the current target has applied.</summary>
    public long ReplayedUpTo => Interlocked.Read(ref _replayedUpTo);

    /// <summary>Until disposed, what Marten's daemon replays goes into <paramref name="target"/>, not the live tables.</summary>
    public IDisposable ReplayInto(CatalogTables target)
    {
        if (Interlocked.CompareExchange(ref _replayTarget, target, null) is not null)
        {
            throw new InvalidOperationException("A rebuild of the catalog is under way in this process already.");
        }

        Interlocked.Exchange(ref _replayedUpTo, 0);
        return new Replay(this);
    }

    /// <summary>Inline, the events of one append in its transaction (positions not read back yet); replayed, stored events.</summary>
    public async Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        if (events.Count == 0)
        {
            return;
        }

        var changes = events.Select(CatalogChanges.Of).OfType<RowChange>().ToList();
        Action<Statement> emit = s => operations.QueueOperation(s.ReturnsRows ? new SqlOperation(s.Sql, s.Parameters) : new SqlCommandOperation(s.Sql, s.Parameters));
        if (events[0].Sequence == 0)
        {
            if (changes.Count > 0)
            {
                var live = StatementsFor(CatalogTables.Live);
                await WriteAsync(changes, live, keys => LoadModelsAsync(new NpgsqlCommand(live.LoadModels, operations.Connection), keys, cancellation), emit);
            }

            return;
        }

        if (changes.Count > 0)
        {
            await ReplayAsync(changes, StatementsFor(_replayTarget ?? CatalogTables.Live), emit, cancellation);
        }

        var last = events[^1].Sequence;
        long seen;
        while ((seen = Interlocked.Read(ref _replayedUpTo)) < last && Interlocked.CompareExchange(ref _replayedUpTo, last, seen) != seen)
        {
        }
    }

    /// <summary>
    /// Stored events (Marten's daemon replaying a page of them, or a rebuild's tail), applied in bulk: the rows they touch are read
    /// once, the page is folded into them in memory as <see cref="CatalogView"/> folds, and each table is written with one statement
    /// over arrays. A change to rows already at or past its stream version is skipped, as the single-row statements' guards do.
    /// Marten applies a shard's pages one after another, each committed before the next is read, so the rows read are current.
    /// </summary>
    private async Task ReplayAsync(List<RowChange> changes, Statements sql, Action<Statement> emit, CancellationToken ct)
    {
        var keys = changes.Select(c => c.Key).Distinct(StringComparer.Ordinal).ToArray();
        var patched = changes.Where(c => c.Version is not null).Select(c => (c.Key, c.Version!.Version)).Distinct().ToArray();
        var views = keys.ToDictionary(k => k, _ => CatalogView.Initial, StringComparer.Ordinal);
        await using (var conn = await dataSource.OpenConnectionAsync(ct))
        {
            foreach (var row in await LoadModelsAsync(new NpgsqlCommand(sql.LoadModels, conn), keys, ct))
            {
                views[row.Key] = views[row.Key] with { Model = row };
            }

            if (patched.Length > 0)
            {
                await using var load = new NpgsqlCommand(sql.LoadVersions, conn);
                load.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = patched.Select(p => p.Key).ToArray() });
                load.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = patched.Select(p => p.Version).ToArray() });
                await using var reader = await load.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var row = CatalogReader.ReadVersion(reader, 0);
                    views[row.ModelKey] = views[row.ModelKey] with { Versions = views[row.ModelKey].Versions.SetItem(row.Version, row) };
                }
            }
        }

        var changedModels = new HashSet<string>(StringComparer.Ordinal);
        var changedVersions = new HashSet<(string Key, int Version)>();
        foreach (var change in changes)
        {
            var view = views[change.Key];
            if (!view.Accepts(change))
            {
                continue;
            }

            view = views[change.Key] = view.Apply(change);
            changedModels.Add(change.Key);
            if (change.NewVersion is { } added)
            {
                changedVersions.Add((change.Key, added.Version));
            }

            if (change.Version is { } p && view.Versions.ContainsKey(p.Version))
            {
                changedVersions.Add((change.Key, p.Version));
            }
        }

        if (changedModels.Count > 0)
        {
            var models = changedModels.Select(k => views[k].Model!).ToArray();
            emit(new(sql.UpsertModels,
            [
                Texts(models, m => m.Key), Texts(models, m => m.Name), Texts(models, m => m.Description), Jsons(models, m => m.Tags),
                Texts(models, m => m.Owner), Values(NpgsqlDbType.Boolean, models, m => m.Locked), Texts(models, m => m.LockReason),
                Values(NpgsqlDbType.Integer, models, m => m.LatestVersion), Values(NpgsqlDbType.Integer, models, m => m.ProductionVersion),
                Times(models, m => m.PromotedAt), Texts(models, m => m.PromotedBy), Values(NpgsqlDbType.Bigint, models, m => m.ProductionPosition),
                Values(NpgsqlDbType.Bigint, models, m => m.StreamVersion), Times(models, m => m.CreatedAt), Times(models, m => m.UpdatedAt),
            ]));
        }

        if (changedVersions.Count > 0)
        {
            var versions = changedVersions.Select(k => views[k.Key].Versions[k.Version]).ToArray();
            emit(new(sql.UpsertVersions,
            [
                Texts(versions, v => v.ModelKey), Values(NpgsqlDbType.Integer, versions, v => v.Version),
                Texts(versions, v => CatalogResources.Lower(v.Stage)), Texts(versions, v => CatalogResources.Lower(v.Status)),
                Texts(versions, v => CatalogResources.Lower(v.Source.Type)), Texts(versions, v => v.Source.Uri),
                Texts(versions, v => v.Source.Revision), Texts(versions, v => v.Source.File), Texts(versions, v => v.LocalPath),
                Values(NpgsqlDbType.Bigint, versions, v => v.SizeBytes), Texts(versions, v => v.Sha256),
                Texts(versions, v => CatalogResources.Lower(v.Format)), Jsons(versions, v => IsEmpty(v.Metadata) ? null : v.Metadata),
                Times(versions, v => v.CreatedAt), Texts(versions, v => v.CreatedBy), Times(versions, v => v.DownloadedAt),
                Values(NpgsqlDbType.Integer, versions, v => v.DuplicateOf),
            ]));
        }
    }

    private sealed class Replay(CatalogProjection projection) : IDisposable
    {
        public void Dispose() => Interlocked.Exchange(ref projection._replayTarget, null);
    }

    private Statements StatementsFor(CatalogTables tables) => _statements.GetOrAdd(tables, static t => new Statements(t.Models, t.Versions));

    private async Task WriteAsync(List<RowChange> changes, Statements sql, Func<string[], Task<List<ModelRow>>> load, Action<Statement> emit)
    {
        // Updating one row thousands of times in a transaction is quadratic in PostgreSQL (none of its versions can be pruned
        // yet), so the model row of a stream with many events here (a rebuild, a bulk append) is read once, folded in memory and
        // written once; the usual append (one or two events) is applied statement by statement.
        var keys = changes.GroupBy(c => c.Key, StringComparer.Ordinal).Where(g => g.Count() > ChangesPerStreamApplied).Select(g => g.Key).ToArray();
        var folded = keys.ToDictionary(k => k, _ => CatalogView.Initial, StringComparer.Ordinal);
        if (keys.Length > 0)
        {
            foreach (var row in await load(keys))
            {
                folded[row.Key] = CatalogView.Initial with { Model = row };
            }
        }

        // Inline, a folded model's production position is that of the event that last moved it, looked up by its id.
        var productionEvent = new Dictionary<string, Guid>(StringComparer.Ordinal);
        var announce = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var change in changes)
        {
            if (folded.TryGetValue(change.Key, out var view))
            {
                if (!view.Accepts(change))
                {
                    continue;
                }

                if (change.Position == 0 && view.MovesProduction(change))
                {
                    productionEvent[change.Key] = change.EventId;
                }

                folded[change.Key] = view.Apply(change) with { Versions = view.Versions };
                WriteVersion(emit, sql, change);
            }
            else
            {
                WriteVersion(emit, sql, change);
                WriteModel(emit, sql, change);
            }

            if (change.AffectsProduction)
            {
                announce[change.Key] = change.StreamVersion;
            }
        }

        foreach (var model in folded.Values.Select(v => v.Model).OfType<ModelRow>())
        {
            emit(new(sql.UpsertModel,
            [
                Text(model.Key), Text(model.Name), Text(model.Description), Json(model.Tags), Text(model.Owner), Bool(model.Locked),
                Text(model.LockReason), Int(model.LatestVersion), Int(model.ProductionVersion), Time(model.PromotedAt), Text(model.PromotedBy),
                Long(model.ProductionPosition), Long(model.StreamVersion), Time(model.CreatedAt), Time(model.UpdatedAt),
                Uuid(productionEvent.TryGetValue(model.Key, out var moved) ? moved : null),
            ]));
        }

        foreach (var (key, streamVersion) in announce)
        {
            productionCache.Invalidate(key, streamVersion);
            emit(new("SELECT pg_notify($1, $2)", [Text(Channel), Text($"{streamVersion} {key}")], ReturnsRows: true));
        }
    }

    private static async Task<List<ModelRow>> LoadModelsAsync(NpgsqlCommand cmd, string[] keys, CancellationToken ct)
    {
        await using (cmd)
        {
            cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            var rows = new List<ModelRow>();
            while (await reader.ReadAsync(ct))
            {
                rows.Add(CatalogReader.ReadModel(reader));
            }

            return rows;
        }
    }

    private static void WriteVersion(Action<Statement> emit, Statements sql, RowChange c)
    {
        if (c.NewVersion is { } v)
        {
            emit(new(sql.InsertVersion,
            [
                Text(c.Key), Int(v.Version), Text(CatalogResources.Lower(v.Stage)), Text(CatalogResources.Lower(v.Status)),
                Text(CatalogResources.Lower(v.Source.Type)), Text(v.Source.Uri), Text(v.Source.Revision), Text(v.Source.File),
                Text(v.LocalPath), Long(v.SizeBytes), Text(v.Sha256), Text(CatalogResources.Lower(v.Format)), Json(IsEmpty(v.Metadata) ? null : v.Metadata),
                Time(v.CreatedAt), Text(v.CreatedBy), Time(v.DownloadedAt), Int(v.DuplicateOf),
            ]));
        }

        if (c.Version is { } p)
        {
            emit(new(sql.PatchVersion,
            [
                Text(c.Key), Int(p.Version), Text(p.Stage is { } s ? CatalogResources.Lower(s) : null),
                Text(p.Status is { } st ? CatalogResources.Lower(st) : null), Text(p.LocalPath), Long(p.SizeBytes), Text(p.Sha256),
                Time(p.DownloadedAt), Int(p.DuplicateOf),
            ]));
        }
    }

    private static void WriteModel(Action<Statement> emit, Statements sql, RowChange c)
    {
        if (c.Registered is { } r)
        {
            emit(new(sql.InsertModel, [Text(c.Key), Text(r.Name), Text(r.Description), Json(r.Tags), Text(r.Owner), Long(c.StreamVersion), Time(c.At)]));
            return;
        }

        var m = c.Model;
        emit(new(sql.PatchModel,
        [
            Text(c.Key), Text(m.Description), Json(m.Tags), Bool(m.Locked), Text(m.LockReason), Int(m.Latest), Int(m.SetProduction),
            Int(m.ClearProductionOf), Time(c.At), Text(c.Actor), Long(c.Position == 0 ? null : c.Position), Long(c.StreamVersion),
            Uuid(c.Position == 0 ? c.EventId : null),
        ]));
    }

    private sealed class Statements(string models, string versions)
    {
        public string InsertModel { get; } = $"""
            INSERT INTO {models} AS m (key, name, description, tags, owner, stream_version, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
            ON CONFLICT (key) DO UPDATE SET name = excluded.name, description = excluded.description, tags = excluded.tags,
                owner = excluded.owner, stream_version = excluded.stream_version, updated_at = excluded.updated_at
            WHERE m.stream_version < excluded.stream_version
            """;

        public string InsertVersion { get; } = $"""
            INSERT INTO {versions} AS v (model_key, version, stage, status, source_type, source_uri, source_revision, source_file,
                local_path, size_bytes, sha256, format, metadata, created_at, created_by, downloaded_at, duplicate_of)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
            {VersionConflict}
            """;

        public string PatchVersion { get; } = $"""
            UPDATE {versions} SET stage = coalesce($3, stage), status = coalesce($4, status), local_path = coalesce($5, local_path),
                size_bytes = coalesce($6, size_bytes), sha256 = coalesce($7, sha256), downloaded_at = coalesce($8, downloaded_at),
                duplicate_of = coalesce(duplicate_of, $9)
            WHERE model_key = $1 AND version = $2
            """;

        public string LoadModels { get; } = $"SELECT {CatalogReader.ModelColumns} FROM {models} m WHERE m.key = ANY($1)";

        public string LoadVersions { get; } = $"""
            SELECT {CatalogReader.VersionColumns} FROM {versions} v
            WHERE (v.model_key, v.version) IN (SELECT * FROM unnest($1::text[], $2::int[]))
            """;

        public string UpsertModels { get; } = $"""
            INSERT INTO {models} AS m (key, name, description, tags, owner, locked, lock_reason, latest_version, production_version,
                promoted_at, promoted_by, production_position, stream_version, created_at, updated_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::boolean[], $7::text[], $8::int[],
                $9::int[], $10::timestamptz[], $11::text[], $12::bigint[], $13::bigint[], $14::timestamptz[], $15::timestamptz[])
            {ModelConflict}
            """;

        public string UpsertVersions { get; } = $"""
            INSERT INTO {versions} AS v (model_key, version, stage, status, source_type, source_uri, source_revision, source_file,
                local_path, size_bytes, sha256, format, metadata, created_at, created_by, downloaded_at, duplicate_of)
            SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                $10::bigint[], $11::text[], $12::text[], $13::jsonb[], $14::timestamptz[], $15::text[], $16::timestamptz[], $17::int[])
            {VersionConflict}
            """;

        public string UpsertModel { get; } = $"""
            INSERT INTO {models} AS m (key, name, description, tags, owner, locked, lock_reason, latest_version, production_version,
                promoted_at, promoted_by, production_position, stream_version, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                coalesce((SELECT seq_id FROM {Events} WHERE id = $16), $12), $13, $14, $15)
            {ModelConflict}
            """;

        public string PatchModel { get; } = $"""
            UPDATE {models} SET
                description = coalesce($2, description),
                tags = coalesce($3, tags),
                locked = coalesce($4, locked),
                lock_reason = CASE WHEN $4 IS NULL THEN lock_reason ELSE $5 END,
                latest_version = greatest(latest_version, $6),
                production_version = CASE WHEN $7 IS NOT NULL THEN $7 WHEN production_version = $8 THEN NULL ELSE production_version END,
                promoted_at = CASE WHEN $7 IS NOT NULL THEN $9 WHEN production_version = $8 THEN NULL ELSE promoted_at END,
                promoted_by = CASE WHEN $7 IS NOT NULL THEN $10 WHEN production_version = $8 THEN NULL ELSE promoted_by END,
                production_position = CASE WHEN $7 IS NOT NULL OR production_version = $8
                    THEN coalesce($11, (SELECT seq_id FROM {Events} WHERE id = $13)) ELSE production_position END,
                stream_version = $12,
                updated_at = $9
            WHERE key = $1 AND stream_version < $12
            """;
    }

    // Most versions carry no metadata: a null column costs nothing to store or to read back.
    private static bool IsEmpty(VersionMetadata m) =>
        m is { Description: null, Architecture: null, Quantization: null, ContextLength: null, Metrics.Count: 0, Tags.Count: 0 };

    private static NpgsqlParameter Text(string? value) => new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Int(int? value) => new() { NpgsqlDbType = NpgsqlDbType.Integer, Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Long(long? value) => new() { NpgsqlDbType = NpgsqlDbType.Bigint, Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Uuid(Guid? value) => new() { NpgsqlDbType = NpgsqlDbType.Uuid, Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Bool(bool? value) => new() { NpgsqlDbType = NpgsqlDbType.Boolean, Value = (object?)value ?? DBNull.Value };

    private static NpgsqlParameter Time(DateTimeOffset? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)value?.ToUniversalTime() ?? DBNull.Value };

    private static NpgsqlParameter Texts<T>(T[] rows, Func<T, string?> column) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = rows.Select(column).ToArray() };

    private static NpgsqlParameter Jsons<T, TValue>(T[] rows, Func<T, TValue?> column) where TValue : class =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = rows.Select(r => column(r) is { } v ? JsonSerializer.Serialize(v, ColumnJson) : null).ToArray() };

    private static NpgsqlParameter Times<T>(T[] rows, Func<T, DateTimeOffset?> column) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, Value = rows.Select(r => column(r)?.UtcDateTime).ToArray() };

    private static NpgsqlParameter Values<T, TValue>(NpgsqlDbType type, T[] rows, Func<T, TValue?> column) where TValue : struct =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | type, Value = rows.Select(column).ToArray() };

    private static NpgsqlParameter Values<T, TValue>(NpgsqlDbType type, T[] rows, Func<T, TValue> column) where TValue : struct =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | type, Value = rows.Select(column).ToArray() };

    private static NpgsqlParameter Json<T>(T? value) where T : class =>
        new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = value is null ? DBNull.Value : JsonSerializer.Serialize(value, ColumnJson) };
}
