using JasperFx.Events;
using Marten;
using ModelRegistry.Admin;
using ModelRegistry.Catalog;
using ModelRegistry.Common;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Admin;

/// <summary>
/// A database of the previous version (Fixtures/legacy-v1.sql, dumped from one the old app wrote) imported into Marten's store:
/// every event keeps what it had, and the import happens once, whole or not at all.
/// </summary>
public sealed class LegacyImportTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private NpgsqlDataSource _dataSource = null!;
    private DocumentStore _store = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _dataSource = _database.CreateDataSource();
        _store = DocumentStore.For(options => RegistryStore.Configure(options, _database.ConnectionString, CatalogStream.Map));
    }

    public async Task DisposeAsync()
    {
        _store.Dispose();
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Every_event_keeps_its_position_stream_version_timestamp_id_type_and_metadata()
    {
        await LoadFixtureAsync();
        var legacy = await LegacyEventsAsync("mt_events");
        var streams = await LegacyStreamsAsync("mt_streams");
        Assert.Equal(20, legacy.Count);

        var result = await new LegacyImport().ImportAsync(_dataSource, _store);

        Assert.Equal(LegacyImportOutcome.Imported, result.Outcome);
        Assert.Equal((2, 20L, 20L), (result.Streams, result.Events, result.LastPosition));
        var statistics = await _store.Advanced.FetchEventStoreStatistics();
        Assert.Equal((20L, 2L, 20L), (statistics.EventCount, statistics.StreamCount, statistics.EventSequenceNumber));

        await using var session = _store.LightweightSession();
        var imported = new List<IEvent>();
        foreach (var stream in streams)
        {
            var events = await session.Events.FetchStreamAsync(stream.Key);
            Assert.Equal(Enumerable.Range(1, (int)stream.Version).Select(v => (long)v), events.Select(e => e.Version));
            var state = (await session.Events.FetchStreamStateAsync(stream.Key))!;
            Assert.Equal((stream.Version, stream.Created, stream.Timestamp, false), (state.Version, state.Created, state.LastTimestamp, state.IsArchived));
            imported.AddRange(events);
        }

        imported.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        Assert.Equal(legacy.Select(e => e.Position), imported.Select(e => e.Sequence));
        Assert.Equal(
            legacy.Select(e => (e.Id, e.Stream, e.Version, e.Type, e.Timestamp, e.Actor, e.CorrelationId, e.CausationId, e.Reason)),
            imported.Select(e => (e.Id, e.StreamKey!, e.Version, e.EventTypeName, e.Timestamp, e.UserName, e.CorrelationId, e.CausationId,
                e.GetHeader(RegistryStore.ReasonHeader)?.ToString())));
        Assert.Contains(imported, e => e.UserName == "carol" && e.CorrelationId == "release-42" && e.CausationId == "promote-2");
        Assert.Equal(
            ["baseline", "best accuracy", "best accuracy", "v2 broke latency", "v2 broke latency", "superseded", "needed again",
             "audit in progress", "audit done", "regression in eval", "release freeze"],
            imported.Select(e => e.GetHeader(RegistryStore.ReasonHeader)?.ToString()).OfType<string>());
        Assert.All(imported.Where(e => e.GetHeader(RegistryStore.ReasonHeader) is null), e => Assert.Null(e.Headers));

        // The payloads are the stored jsonb, unchanged, and Marten reads them as the app's events, as the old store did.
        Assert.Equal(0L, await ScalarAsync<long>(
            "SELECT count(*) FROM public.legacy_mt_events l JOIN registry.mt_events m USING (seq_id) WHERE l.data::text <> m.data::text"));
        var serializer = _store.Options.Serializer();
        foreach (var (e, row) in imported.Zip(legacy))
        {
            Assert.Equal(row.Type, ((JasperFx.Events.IEventRegistry)_store.Options.Events).EventMappingFor(e.EventType).EventTypeName);
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(row.Json),
                System.Text.Json.Nodes.JsonNode.Parse(serializer.ToJson(e.Data))), $"{row.Type} at {e.Sequence} reads back as {serializer.ToJson(e.Data)}, not {row.Json}");
        }

        Assert.Equal(new VersionPromoted(1, Stage.Production, 2, true), imported.Single(e => e.Sequence == 9).Data);
        var sentiment = Fold(imported, "acme/sentiment");
        Assert.Equal((1, 3, false, "Acme/Sentiment"), (sentiment.ProductionVersion, sentiment.LatestVersion, sentiment.Locked, sentiment.Name));
        var summarizer = Fold(imported, "summarizer");
        Assert.Equal(((int?)null, 2, true, "release freeze"), (summarizer.ProductionVersion, summarizer.LatestVersion, summarizer.Locked, summarizer.LockReason));

        // Marten's appends go on after the imported history, in the same stream.
        session.Events.Append("summarizer", new ModelUnlocked("imported"));
        await session.SaveChangesAsync();
        var appended = (await session.Events.FetchStreamAsync("summarizer"))[^1];
        Assert.Equal((21L, 8L), (appended.Sequence, appended.Version));
    }

    [Fact]
    public async Task The_legacy_tables_are_renamed_so_a_second_import_does_nothing()
    {
        await LoadFixtureAsync();
        var legacy = await LegacyEventsAsync("mt_events");

        var first = await new LegacyImport().ImportAsync(_dataSource, _store);
        var second = await new LegacyImport().ImportAsync(_dataSource, _store);

        Assert.Equal(
            ["public.legacy_mt_events", "public.legacy_mt_streams", "public.legacy_mt_events_sequence", "public.legacy_mt_event_progression"],
            first.RenamedTables);
        Assert.Equal(LegacyImportOutcome.NoLegacyStore, second.Outcome);
        Assert.Equal((0, 0L), (second.Streams, second.Events));
        Assert.Equal(20L, (await _store.Advanced.FetchEventStoreStatistics()).EventCount);
        // Renamed, not dropped: every legacy row is still there, and the tables the old event store did not own stay put.
        Assert.Equal(legacy, await LegacyEventsAsync("legacy_mt_events"));
        Assert.Equal(2L, await ScalarAsync<long>("SELECT count(*) FROM public.legacy_mt_streams"));
        foreach (var table in new[] { "mt_events", "mt_streams", "mt_event_progression", "mt_events_sequence" })
        {
            Assert.False(await ScalarAsync<bool>($"SELECT to_regclass('public.{table}') IS NOT NULL"), table);
        }

        Assert.Equal(9L, await ScalarAsync<long>("SELECT count(*) FROM public.mr_schema_migrations"));
        // Marten's schema has no table for stored responses yet: they stay where the old version keeps them.
        Assert.Null(first.IdempotencyKeys);
        Assert.Contains(first.Notes, n => n.Contains("mr_idempotency_keys does not exist", StringComparison.Ordinal));
        Assert.Equal(2L, await ScalarAsync<long>("SELECT count(*) FROM public.mr_idempotency_keys"));
    }

    [Fact]
    public async Task Stored_responses_are_copied_when_Marten_has_a_table_for_them()
    {
        await LoadFixtureAsync();
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await ExecuteAsync("CREATE TABLE registry.mr_idempotency_keys (LIKE public.mr_idempotency_keys INCLUDING ALL)");

        var result = await new LegacyImport().ImportAsync(_dataSource, _store);

        Assert.Equal(2, result.IdempotencyKeys);
        Assert.Contains("public.legacy_mr_idempotency_keys", result.RenamedTables);
        Assert.Equal(0L, await ScalarAsync<long>("""
            SELECT count(*) FROM (
                (SELECT * FROM public.legacy_mr_idempotency_keys EXCEPT SELECT * FROM registry.mr_idempotency_keys)
                UNION ALL (SELECT * FROM registry.mr_idempotency_keys EXCEPT SELECT * FROM public.legacy_mr_idempotency_keys)) d
            """));
    }

    [Fact]
    public async Task A_later_schema_version_becomes_the_type_name_suffix_and_holes_in_positions_stay_holes()
    {
        await LoadFixtureAsync();
        // Rows the old store could write: an event at schema version 2, after positions that appends which rolled back had drawn.
        await ExecuteAsync("""
            INSERT INTO public.mt_streams (id, type, version) VALUES ('later', 'model', 2);
            INSERT INTO public.mt_events (seq_id, id, stream_id, version, data, type, schema_version, user_name)
            VALUES (23, '01a2423b-3000-7000-8000-000000000001', 'later', 1, '{"name": "later", "tags": {}, "owner": null, "description": null}', 'ModelRegistered', 1, 'admin'),
                   (25, '01a2423b-3000-7000-8000-000000000002', 'later', 2, '{"description": "v2", "tags": null}', 'ModelUpdated', 2, 'admin');
            SELECT setval('public.mt_events_sequence', 27);
            """);

        var result = await new LegacyImport().ImportAsync(_dataSource, _store);

        Assert.Equal((22L, 27L), (result.Events, result.LastPosition));
        Assert.Equal("ModelUpdated_v2", EventTypeExtensions.GetEventTypeNameWithSchemaVersion("ModelUpdated", 2));
        Assert.Equal("23 ModelRegistered, 25 ModelUpdated_v2",
            await ScalarAsync<string>("SELECT string_agg(seq_id || ' ' || type, ', ' ORDER BY seq_id) FROM registry.mt_events WHERE stream_id = 'later'"));
        Assert.Equal(27L, (await _store.Advanced.FetchEventStoreStatistics()).EventSequenceNumber);
        Assert.Equal(27L, await ScalarAsync<long>("SELECT last_seq_id FROM registry.mt_event_progression WHERE name = 'HighWaterMark'"));
        await using var session = _store.LightweightSession();
        session.Events.Append("acme/sentiment", new ModelUnlocked("imported"));
        await session.SaveChangesAsync();
        Assert.Equal(28L, (await session.Events.FetchStreamAsync("acme/sentiment"))[^1].Sequence);
    }

    [Fact]
    public async Task A_failing_import_leaves_both_stores_as_they_were()
    {
        await LoadFixtureAsync();
        // The old store has no foreign key to its streams (migration 3); Marten's has, so an orphan event fails the copy.
        await ExecuteAsync("""
            INSERT INTO public.mt_events (seq_id, id, stream_id, version, data, type)
            VALUES (21, '01a2423b-3000-7000-8000-000000000003', 'orphan', 1, '{}', 'ModelUnlocked')
            """);

        await Assert.ThrowsAsync<PostgresException>(() => new LegacyImport().ImportAsync(_dataSource, _store));

        var statistics = await _store.Advanced.FetchEventStoreStatistics();
        Assert.Equal((0L, 0L), (statistics.EventCount, statistics.StreamCount));
        Assert.Equal(21, (await LegacyEventsAsync("mt_events")).Count);
        Assert.False(await ScalarAsync<bool>("SELECT to_regclass('public.legacy_mt_events') IS NOT NULL"));
    }

    [Fact]
    public async Task Nothing_is_imported_into_a_store_that_already_has_events()
    {
        await LoadFixtureAsync();
        await _store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        await using (var session = _store.LightweightSession())
        {
            session.Events.StartStream("fresh", new ModelRegistered("fresh", null, new Dictionary<string, string>(), "admin"));
            await session.SaveChangesAsync();
        }

        var result = await new LegacyImport().ImportAsync(_dataSource, _store);

        Assert.Equal(LegacyImportOutcome.TargetNotEmpty, result.Outcome);
        Assert.Equal(1L, (await _store.Advanced.FetchEventStoreStatistics()).EventCount);
        Assert.Equal(20, (await LegacyEventsAsync("mt_events")).Count);
    }

    [Fact]
    public async Task A_database_without_the_legacy_store_is_left_alone()
    {
        var result = await new LegacyImport().ImportAsync(_dataSource, _store);

        Assert.Equal(LegacyImportOutcome.NoLegacyStore, result.Outcome);
        Assert.False(await ScalarAsync<bool>("SELECT to_regclass('registry.mt_events') IS NOT NULL"));
    }

    private static ModelState Fold(IEnumerable<IEvent> events, string stream) =>
        events.Where(e => e.StreamKey == stream).Select(e => e.Data).Aggregate(ModelState.Initial, CatalogStream.Evolve);

    private async Task LoadFixtureAsync() =>
        await ExecuteAsync(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Admin", "Fixtures", "legacy-v1.sql")));

    private async Task<List<LegacyEvent>> LegacyEventsAsync(string table)
    {
        await using var cmd = _dataSource.CreateCommand($"""
            SELECT seq_id, id, stream_id, version, type, timestamp, user_name, correlation_id, causation_id, reason, schema_version, data::text
            FROM public.{table} ORDER BY seq_id
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<LegacyEvent>();
        while (await reader.ReadAsync())
        {
            rows.Add(new LegacyEvent(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetInt64(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), LegacyDatabase.Text(reader, 6), LegacyDatabase.Text(reader, 7), LegacyDatabase.Text(reader, 8), LegacyDatabase.Text(reader, 9), reader.GetInt32(10),
                reader.GetString(11)));
        }

        return rows;
    }

    private async Task<List<LegacyStream>> LegacyStreamsAsync(string table)
    {
        await using var cmd = _dataSource.CreateCommand($"SELECT id, version, created, timestamp FROM public.{table} ORDER BY id");
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<LegacyStream>();
        while (await reader.ReadAsync())
        {
            rows.Add(new LegacyStream(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return rows;
    }

    private Task ExecuteAsync(string sql) => _dataSource.ExecuteAsync(sql);

    private Task<T> ScalarAsync<T>(string sql) => _dataSource.ScalarAsync<T>(sql);

    private sealed record LegacyEvent(
        long Position, Guid Id, string Stream, long Version, string Type, DateTimeOffset Timestamp, string? Actor, string? CorrelationId,
        string? CausationId, string? Reason, int SchemaVersion, string Json);

    private sealed record LegacyStream(string Key, long Version, DateTimeOffset Created, DateTimeOffset Timestamp);
}
