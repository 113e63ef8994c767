using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Admin;

/// <summary>
/// The whole app started on a database the previous version wrote (Fixtures/legacy-v1.sql): over HTTP it reads what that
/// version stored. The expected answers are the fixture's own rows (its catalog tables and its event store), read before the
/// app starts, since the import renames the legacy event tables.
/// </summary>
public sealed class LegacyUpgradeTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private readonly string _root = Directory.CreateTempSubdirectory("mr-upgrade-").FullName;
    private NpgsqlDataSource _dataSource = null!;
    private RegistryApp? _app;

    /// <summary>The catalog_models rows of the previous version, by key.</summary>
    private Dictionary<string, ModelRead> _models = null!;

    /// <summary>The catalog_versions rows of the previous version, by model key, in version order.</summary>
    private Dictionary<string, List<VersionRead>> _versions = null!;

    /// <summary>The events of the previous version's store, in position order.</summary>
    private List<EventRead> _events = null!;

    /// <summary>Each model's production pointer as the previous version's catalog held it, by model key.</summary>
    private Dictionary<string, PointerRead?> _pointers = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _dataSource = _database.CreateDataSource();
        await ExecuteAsync(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Admin", "Fixtures", "legacy-v1.sql")));
        _models = await LegacyModelsAsync();
        _versions = await LegacyVersionsAsync();
        _events = await LegacyEventsAsync();
        _pointers = await LegacyPointersAsync();
        Assert.Equal((2, 5, 20), (_models.Count, _versions.Values.Sum(v => v.Count), _events.Count));
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task The_models_read_as_the_previous_version_stored_them()
    {
        var app = await UpgradeAsync();

        var listed = Items(await GetAsync(app, $"{Models}?limit=200")).Select(ModelRead.FromJson).ToList();
        var read = new List<ModelRead>();
        foreach (var model in _models.Values)
        {
            read.Add(ModelRead.FromJson(await GetAsync(app, $"{Models}/{model.Name}")));
        }

        Assert.Equal(_models.Values.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => m with { LockReason = null }),
            listed.OrderBy(m => m.Name, StringComparer.Ordinal));
        Assert.Equal(_models.Values, read);
        Assert.Contains(read, m => m is { Name: "summarizer", Locked: true, LockReason: "release freeze", ProductionVersion: null, LatestVersion: 2 });
    }

    [Fact]
    public async Task The_versions_read_as_the_previous_version_stored_them()
    {
        var app = await UpgradeAsync();

        foreach (var (key, expected) in _versions)
        {
            var name = _models[key].Name;
            var inModel = (await GetAsync(app, $"{Models}/{name}")).GetProperty("versions").EnumerateArray().Select(VersionRead.FromJson);
            var listed = Items(await GetAsync(app, $"{Models}/{name}/versions?limit=200")).Select(VersionRead.FromJson);
            var single = new List<VersionRead>();
            foreach (var version in expected)
            {
                single.Add(VersionRead.FromJson(await GetAsync(app, $"{Models}/{name}/versions/{version.Version}")));
            }

            Assert.Equal(expected, inModel.Reverse());
            Assert.Equal(expected, listed.Reverse());
            Assert.Equal(expected, single);
        }

        Assert.Contains(_versions["acme/sentiment"], v => v is { Version: 3, CreatedBy: "carol", Metadata: var m } && m.Contains("accuracy=0.91", StringComparison.Ordinal));
        Assert.Contains(_versions["summarizer"], v => v is { Version: 2, Status: "pending", SourceType: "url", LocalPath: null });
    }

    [Fact]
    public async Task Each_models_history_reads_the_previous_versions_events_with_their_positions_timestamps_actors_reasons_and_correlation_ids()
    {
        var app = await UpgradeAsync();

        foreach (var model in _models.Values)
        {
            var history = Items(await GetAsync(app, $"{Models}/{model.Name}/history?limit=200")).Select(EventRead.FromJson);

            Assert.Equal(_events.Where(e => e.Stream == model.Key), history);
        }

        Assert.Contains(_events, e => e is { Position: 7, Actor: "carol", CorrelationId: "release-42", CausationId: "promote-2", Reason: "best accuracy" });
    }

    [Fact]
    public async Task The_audit_reads_every_event_of_the_previous_version_in_position_order()
    {
        var app = await UpgradeAsync();

        var audit = Items(await GetAsync(app, "/api/v1/audit?limit=200")).Select(EventRead.FromJson);
        var carols = Items(await GetAsync(app, "/api/v1/audit?actor=carol&limit=200")).Select(e => e.GetProperty("position").GetInt64());

        Assert.Equal(_events, audit);
        Assert.Equal(_events.Where(e => e.Actor == "carol").Select(e => e.Position), carols);
    }

    [Fact]
    public async Task The_production_pointers_read_as_the_previous_version_stored_them()
    {
        var app = await UpgradeAsync();

        foreach (var (key, expected) in _pointers)
        {
            var name = _models[key].Name;
            var read = await app.Scenario(s => { s.Get.Url($"{Models}/{name}/production"); s.IgnoreStatusCode(); });
            if (expected is null)
            {
                Assert.Equal(404, read.Status);
                read.Problem("no-production");
            }
            else
            {
                Assert.Equal(200, read.Status);
                Assert.Equal(expected, PointerRead.FromJson(read.Json));
            }
        }

        Assert.Equal(1, _pointers["acme/sentiment"]!.Version);
        Assert.Null(_pointers["summarizer"]);
    }

    [Fact]
    public async Task Reads_as_of_now_fold_the_imported_events_to_what_the_previous_version_stored()
    {
        var app = await UpgradeAsync();
        var now = Uri.EscapeDataString(DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));

        foreach (var model in _models.Values)
        {
            var folded = await GetAsync(app, $"{Models}/{model.Name}?as_of={now}");

            Assert.Equal(model, ModelRead.FromJson(folded));
            Assert.Equal(_versions[model.Key], folded.GetProperty("versions").EnumerateArray().Select(VersionRead.FromJson).Reverse());
            var pointer = await app.Scenario(s => { s.Get.Url($"{Models}/{model.Name}/production?as_of={now}"); s.IgnoreStatusCode(); });
            Assert.Equal(_pointers[model.Key], pointer.Status == 404 ? null : PointerRead.FromJson(pointer.Json));
        }
    }

    [Fact]
    public async Task The_upgraded_app_is_ready_with_the_catalog_projection_caught_up_and_not_marked_for_a_rebuild()
    {
        var app = await UpgradeAsync();

        var ready = await app.Scenario(s => { s.Get.Url("/health/ready"); s.Anonymous(); s.IgnoreStatusCode(); });
        var catalog = (await GetAsync(app, "/api/v1/admin/projections")).EnumerateArray().Single(p => p.Str("name") == "catalog");

        Assert.True(ready.Status == 200, ready.Text);
        Assert.Equal(("inline", "running", 20L, 20L, 0L),
            (catalog.Str("lifecycle"), catalog.Str("state"), catalog.GetProperty("checkpoint").GetInt64(), catalog.GetProperty("head").GetInt64(),
                catalog.GetProperty("lag").GetInt64()));
    }

    [Fact]
    public async Task A_rebuild_of_the_catalog_from_the_imported_events_reads_what_the_previous_version_stored()
    {
        var app = await UpgradeAsync();

        await app.Scenario(s => { s.Post.Url("/api/v1/admin/projections/catalog/rebuild"); s.StatusCodeShouldBe(202); });
        await Eventually.HoldsAsync(() => Task.FromResult(app.Logs.Any(l => l.Message.EndsWith("and swapped in", StringComparison.Ordinal))),
            () => string.Join('\n', app.Logs));
        Assert.Single(app.Logs, l => l["Projection"] == "catalog" && l["Position"] == "20" && l.Message.EndsWith("and swapped in", StringComparison.Ordinal));

        foreach (var model in _models.Values)
        {
            var read = await GetAsync(app, $"{Models}/{model.Name}");
            Assert.Equal(model, ModelRead.FromJson(read));
            Assert.Equal(_versions[model.Key], read.GetProperty("versions").EnumerateArray().Select(VersionRead.FromJson).Reverse());
            var pointer = await app.Scenario(s => { s.Get.Url($"{Models}/{model.Name}/production"); s.IgnoreStatusCode(); });
            Assert.Equal(_pointers[model.Key], pointer.Status == 404 ? null : PointerRead.FromJson(pointer.Json));
        }
    }

    [Fact]
    public async Task A_command_after_the_upgrade_appends_its_events_at_the_next_positions_and_moves_the_production_pointer()
    {
        var app = await UpgradeAsync();
        var sentiment = _models["acme/sentiment"];

        await app.Scenario(s =>
        {
            s.Post.SnakeJson(new { stage = "production", reason = "after the upgrade" }).ToUrl($"{Models}/{sentiment.Name}/versions/3/promote");
            s.WithRequestHeader("X-Correlation-Id", "upgrade-1");
            s.StatusCodeShouldBe(200);
        });

        var history = Items(await GetAsync(app, $"{Models}/{sentiment.Name}/history?limit=200")).Select(EventRead.FromJson).ToList();
        Assert.Equal(_events.Where(e => e.Stream == "acme/sentiment"), history.Take(13));
        var appended = history.Skip(13).ToList();
        Assert.Equal(
            [(21L, 14L, "VersionDemoted", "admin", "upgrade-1", "after the upgrade"), (22L, 15L, "VersionPromoted", "admin", "upgrade-1", "after the upgrade")],
            appended.Select(e => (e.Position, e.StreamVersion, e.Type, e.Actor, e.CorrelationId, e.Reason)));
        Assert.All(appended, e => Assert.True(e.Timestamp > _events[^1].Timestamp));

        var pointer = PointerRead.FromJson(await GetAsync(app, $"{Models}/{sentiment.Name}/production"));
        var promoted = _versions["acme/sentiment"].Single(v => v.Version == 3);
        Assert.Equal(new PointerRead(sentiment.Name, 3, promoted.LocalPath, promoted.Sha256, promoted.SizeBytes, appended[^1].Timestamp, "admin"), pointer);
        var model = ModelRead.FromJson(await GetAsync(app, $"{Models}/{sentiment.Name}"));
        Assert.Equal(sentiment with { ProductionVersion = 3, StreamVersion = 15, UpdatedAt = appended[^1].Timestamp }, model);
        Assert.Equal(22L, Items(await GetAsync(app, "/api/v1/audit?limit=200"))[^1].GetProperty("position").GetInt64());
    }

    [Fact]
    public async Task A_key_the_previous_version_issued_and_the_bootstrap_key_still_authenticate()
    {
        // The fixture's key (carol's) has a secret nobody knows any more: a key the previous version issued the same way, into
        // the same table, stands in for it.
        const string id = "0123456789abcdef";
        var secret = new string('s', 43);
        await ExecuteAsync($"""
            INSERT INTO public.mr_api_keys (name, role, key_id, secret_sha256, created_at, created_by)
            VALUES ('dave', 'publisher', '{id}', '\x{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)))}',
                    '2026-12-04 18:05:02+00', 'admin')
            """);
        var app = await UpgradeAsync();

        var dave = await app.Scenario(s => { s.Get.Url("/api/v1/me"); s.WithBearerToken($"mr_{id}_{secret}"); });
        var admin = await app.Scenario(s => s.Get.Url("/api/v1/me"));
        var keys = Items(await GetAsync(app, "/api/v1/keys")).Select(k => (k.Str("name"), k.Str("role"))).ToList();

        Assert.Equal(("dave", "publisher"), (dave.Json.Str("name"), dave.Json.Str("role")));
        Assert.Equal(("admin", "admin"), (admin.Json.Str("name"), admin.Json.Str("role")));
        Assert.Equal([("carol", "publisher"), ("dave", "publisher")], keys);
        await app.Scenario(s => { s.Get.Url("/api/v1/me"); s.WithBearerToken($"mr_{id}_{new string('t', 43)}"); s.StatusCodeShouldBe(401); });
    }

    [Fact]
    public async Task A_restart_on_the_upgraded_database_imports_nothing_again_and_reads_the_same()
    {
        var first = await UpgradeAsync();
        var before = await EverythingAsync(first);
        Assert.Single(first.Logs, l => l.Message.StartsWith("Imported the previous version's event store", StringComparison.Ordinal));

        var second = _app = await first.RestartAsync();

        Assert.DoesNotContain(second.Logs, l => l.Message.StartsWith("Imported the previous version's event store", StringComparison.Ordinal));
        Assert.Equal(before, await EverythingAsync(second));
        Assert.Equal((20L, 2L), (await ScalarAsync<long>("SELECT count(*) FROM registry.mt_events"), await ScalarAsync<long>("SELECT count(*) FROM registry.mt_streams")));
        Assert.Equal(20L, await ScalarAsync<long>("SELECT count(*) FROM public.legacy_mt_events"));
        Assert.Equal(_events, Items(await GetAsync(second, "/api/v1/audit?limit=200")).Select(EventRead.FromJson));
    }

    private async Task<RegistryApp> UpgradeAsync()
    {
        _app = await RegistryApp.StartAsync(_database.ConnectionString, _root);
        return _app;
    }

    /// <summary>Every model with its versions, history and production pointer, as the API answers.</summary>
    private async Task<string> EverythingAsync(RegistryApp app)
    {
        var all = new StringBuilder();
        foreach (var model in _models.Values)
        {
            all.AppendLine((await GetAsync(app, $"{Models}/{model.Name}")).GetRawText());
            all.AppendLine((await GetAsync(app, $"{Models}/{model.Name}/history?limit=200")).GetRawText());
            var production = await app.Scenario(s => { s.Get.Url($"{Models}/{model.Name}/production"); s.IgnoreStatusCode(); });
            all.AppendLine(production.Status == 200 ? production.Text : production.Status.ToString(CultureInfo.InvariantCulture));
        }

        all.AppendLine((await GetAsync(app, $"{Models}?limit=200")).GetRawText());
        return all.ToString();
    }

    private static async Task<JsonElement> GetAsync(RegistryApp app, string url) => (await app.Scenario(s => s.Get.Url(url))).Json;

    private static List<JsonElement> Items(JsonElement page) => page.GetProperty("items").EnumerateArray().ToList();

    private async Task<Dictionary<string, ModelRead>> LegacyModelsAsync()
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT key, name, description, tags::text, owner, locked, lock_reason, latest_version, production_version, stream_version,
                   created_at, updated_at
            FROM public.catalog_models ORDER BY key
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new Dictionary<string, ModelRead>();
        while (await reader.ReadAsync())
        {
            var latest = reader.GetInt32(7);
            rows[reader.GetString(0)] = new ModelRead(reader.GetString(0), reader.GetString(1), LegacyDatabase.Text(reader, 2), Canonical(reader.GetString(3)),
                LegacyDatabase.Text(reader, 4), reader.GetBoolean(5), LegacyDatabase.Text(reader, 6), latest == 0 ? null : latest,
                reader.IsDBNull(8) ? null : reader.GetInt32(8), reader.GetInt64(9), reader.GetFieldValue<DateTimeOffset>(10),
                reader.GetFieldValue<DateTimeOffset>(11));
        }

        return rows;
    }

    private async Task<Dictionary<string, List<VersionRead>>> LegacyVersionsAsync()
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT m.name, v.version, v.stage, v.status, v.source_type, v.source_uri, v.source_revision, v.source_file, v.local_path,
                   v.size_bytes, v.sha256, v.format, v.metadata::text, v.created_at, v.created_by, v.downloaded_at, v.duplicate_of, v.model_key
            FROM public.catalog_versions v JOIN public.catalog_models m ON m.key = v.model_key ORDER BY v.model_key, v.version
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new Dictionary<string, List<VersionRead>>();
        while (await reader.ReadAsync())
        {
            var row = new VersionRead(reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), LegacyDatabase.Text(reader, 6), LegacyDatabase.Text(reader, 7), LegacyDatabase.Text(reader, 8), reader.IsDBNull(9) ? null : reader.GetInt64(9), LegacyDatabase.Text(reader, 10),
                reader.GetString(11), VersionRead.MetadataLine(reader.IsDBNull(12) ? null : JsonDocument.Parse(reader.GetString(12)).RootElement),
                reader.GetFieldValue<DateTimeOffset>(13), LegacyDatabase.Text(reader, 14),
                reader.IsDBNull(15) ? null : reader.GetFieldValue<DateTimeOffset>(15), reader.IsDBNull(16) ? null : reader.GetInt32(16));
            var key = reader.GetString(17);
            if (!rows.TryGetValue(key, out var list))
            {
                rows[key] = list = [];
            }

            list.Add(row);
        }

        return rows;
    }

    private async Task<List<EventRead>> LegacyEventsAsync()
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT seq_id, id, stream_id, version, type, schema_version, timestamp, user_name, correlation_id, causation_id, reason, data::text
            FROM public.mt_events ORDER BY seq_id
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<EventRead>();
        while (await reader.ReadAsync())
        {
            rows.Add(new EventRead(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4), reader.GetInt32(5),
                reader.GetFieldValue<DateTimeOffset>(6), LegacyDatabase.Text(reader, 7), LegacyDatabase.Text(reader, 8), LegacyDatabase.Text(reader, 9), LegacyDatabase.Text(reader, 10), Canonical(reader.GetString(11))));
        }

        return rows;
    }

    private async Task<Dictionary<string, PointerRead?>> LegacyPointersAsync()
    {
        await using var cmd = _dataSource.CreateCommand("""
            SELECT m.key, m.name, m.production_version, v.local_path, v.sha256, v.size_bytes, m.promoted_at, m.promoted_by
            FROM public.catalog_models m LEFT JOIN public.catalog_versions v ON v.model_key = m.key AND v.version = m.production_version
            ORDER BY m.key
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new Dictionary<string, PointerRead?>();
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = reader.IsDBNull(2)
                ? null
                : new PointerRead(reader.GetString(1), reader.GetInt32(2), LegacyDatabase.Text(reader, 3), LegacyDatabase.Text(reader, 4), reader.IsDBNull(5) ? null : reader.GetInt64(5),
                    reader.GetFieldValue<DateTimeOffset>(6), LegacyDatabase.Text(reader, 7));
        }

        return rows;
    }

    private Task ExecuteAsync(string sql) => _dataSource.ExecuteAsync(sql);

    private Task<T> ScalarAsync<T>(string sql) => _dataSource.ScalarAsync<T>(sql);

    /// <summary>JSON with every object's members in ordinal order, so a jsonb text and a response's JSON compare as text.</summary>
    private static string Canonical(string json) => Canonical(JsonDocument.Parse(json).RootElement);

    private static string Canonical(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(",", json.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => JsonSerializer.Serialize(p.Name) + ":" + Canonical(p.Value))) + "}",
        JsonValueKind.Array => "[" + string.Join(",", json.EnumerateArray().Select(Canonical)) + "]",
        JsonValueKind.Number => json.GetDecimal().ToString(CultureInfo.InvariantCulture),
        _ => json.GetRawText(),
    };

    private static string? NullableString(JsonElement json, string property) =>
        json.TryGetProperty(property, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetString() : null;

    private static int? NullableInt(JsonElement json, string property) =>
        json.TryGetProperty(property, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetInt32() : null;

    private static long? NullableLong(JsonElement json, string property) =>
        json.TryGetProperty(property, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetInt64() : null;

    private sealed record ModelRead(
        string Key, string Name, string? Description, string Tags, string? Owner, bool Locked, string? LockReason, int? LatestVersion,
        int? ProductionVersion, long StreamVersion, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
    {
        /// <summary>A model or a listed model (which has no lock reason) as the API answers.</summary>
        public static ModelRead FromJson(JsonElement m)
        {
            var name = m.Str("name")!;
            return new ModelRead(name.ToLowerInvariant(), name, NullableString(m, "description"), Canonical(m.GetProperty("tags")),
                NullableString(m, "owner"), m.GetProperty("locked").GetBoolean(), NullableString(m, "lock_reason"), NullableInt(m, "latest_version"),
                NullableInt(m, "production_version"), m.GetProperty("stream_version").GetInt64(), m.GetProperty("created_at").GetDateTimeOffset(),
                m.GetProperty("updated_at").GetDateTimeOffset());
        }
    }

    private sealed record VersionRead(
        string Model, int Version, string Stage, string Status, string SourceType, string SourceUri, string? SourceRevision, string? SourceFile,
        string? LocalPath, long? SizeBytes, string? Sha256, string Format, string Metadata, DateTimeOffset CreatedAt, string? CreatedBy,
        DateTimeOffset? DownloadedAt, int? DuplicateOf)
    {
        public static VersionRead FromJson(JsonElement v)
        {
            var source = v.GetProperty("source");
            Assert.Equal((source.Str("type"), source.Str("uri")), (v.Str("source_type"), v.Str("source_uri")));
            return new VersionRead(v.Str("name")!, v.Int("version"), v.Str("stage")!, v.Str("status")!, source.Str("type")!, source.Str("uri")!,
                NullableString(source, "revision"), NullableString(source, "file"), NullableString(v, "local_path"), NullableLong(v, "size_bytes"),
                NullableString(v, "sha256"), v.Str("format")!, MetadataLine(v.GetProperty("metadata")), v.GetProperty("created_at").GetDateTimeOffset(),
                NullableString(v, "created_by"),
                v.GetProperty("downloaded_at").ValueKind == JsonValueKind.Null ? null : v.GetProperty("downloaded_at").GetDateTimeOffset(),
                NullableInt(v, "duplicate_of"));
        }

        /// <summary>A version's metadata, a column's (null when none was given) or a response's, as one comparable line.</summary>
        public static string MetadataLine(JsonElement? metadata)
        {
            string Member(string name) =>
                metadata is { } m && m.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.ToString() : "";

            string Pairs(string name) =>
                metadata is { } m && m.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
                    ? string.Join(",", value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => $"{p.Name}={p.Value}"))
                    : "";

            return $"description={Member("description")}; architecture={Member("architecture")}; quantization={Member("quantization")}; " +
                   $"context_length={Member("context_length")}; metrics=[{Pairs("metrics")}]; tags=[{Pairs("tags")}]";
        }
    }

    private sealed record EventRead(
        long Position, Guid Id, string Stream, long StreamVersion, string Type, int SchemaVersion, DateTimeOffset Timestamp, string? Actor,
        string? CorrelationId, string? CausationId, string? Reason, string Data)
    {
        public static EventRead FromJson(JsonElement e) => new(
            e.GetProperty("position").GetInt64(), e.GetProperty("id").GetGuid(), e.Str("stream")!, e.GetProperty("stream_version").GetInt64(),
            e.Str("type")!, e.Int("schema_version"), e.GetProperty("timestamp").GetDateTimeOffset(), NullableString(e, "actor"),
            NullableString(e, "correlation_id"), NullableString(e, "causation_id"), NullableString(e, "reason"), Canonical(e.GetProperty("data")));
    }

    private sealed record PointerRead(string Name, int Version, string? LocalPath, string? Sha256, long? SizeBytes, DateTimeOffset PromotedAt, string? PromotedBy)
    {
        public static PointerRead FromJson(JsonElement p) => new(
            p.Str("name")!, p.Int("version"), NullableString(p, "local_path"), NullableString(p, "sha256"), NullableLong(p, "size_bytes"),
            p.GetProperty("promoted_at").GetDateTimeOffset(), NullableString(p, "promoted_by"));
    }
}
