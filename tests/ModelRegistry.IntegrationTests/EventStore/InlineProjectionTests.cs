using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.IntegrationTests.EventStore.OnMarten;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>
/// The catalog is an inline projection: its rows are written in the transaction that appends the events, so a command's change is
/// in the catalog when the command returns, and a command that fails leaves neither its events nor its rows.
/// </summary>
public sealed class InlineProjectionTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string RefusedByTheCatalog = "refused-by-the-catalog.gguf";

    private readonly string _root = Directory.CreateTempSubdirectory("mr-inline-").FullName;
    private RegistryApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await RegistryApp.StartAsync(db.ConnectionString, _root,
            services: s => s.AddSingleton<IVersionDownloadQueue, QueueFailingAtCommit>());
        // A rule of the catalog's own table that no event knows of: a row that breaks it fails the transaction that writes it.
        await db.RowsAsync($"ALTER TABLE {CatalogProjection.Versions} DROP CONSTRAINT IF EXISTS test_refused, ADD CONSTRAINT test_refused CHECK (source_uri <> '{RefusedByTheCatalog}')");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_commands_rows_are_in_the_catalog_when_the_command_returns()
    {
        var name = NewName();

        var done = await _app.InvokeAsync(Local(name, "weights.gguf"));

        Assert.Equal(new object?[] { done.Version, 1 }, await ModelRowAsync(name));
        Assert.Equal([1], await VersionRowsAsync(name));
    }

    [Fact]
    public async Task A_command_whose_transaction_fails_after_its_append_leaves_neither_events_nor_rows()
    {
        var name = NewName();
        await _app.InvokeAsync(Local(name, "weights.gguf"));

        await Assert.ThrowsAnyAsync<Exception>(() => _app.InvokeAsync(Remote(name)));

        Assert.Equal(2, (await _app.StreamAsync(name)).Count);
        Assert.Equal(new object?[] { 2L, 1 }, await ModelRowAsync(name));
        Assert.Equal([1], await VersionRowsAsync(name));
    }

    [Fact]
    public async Task A_first_command_whose_catalog_rows_fail_leaves_no_stream_and_no_rows()
    {
        var name = NewName();

        await Assert.ThrowsAnyAsync<Exception>(() => _app.InvokeAsync(Local(name, RefusedByTheCatalog)));

        Assert.Empty(await _app.StreamAsync(name));
        await using var session = _app.Store.QuerySession();
        Assert.Null(await session.Events.FetchStreamStateAsync(CatalogStream.StreamId(name)));
        Assert.Null(await ModelRowAsync(name));
    }

    [Fact]
    public async Task A_command_whose_catalog_rows_fail_appends_none_of_its_events()
    {
        var name = NewName();
        await _app.InvokeAsync(Local(name, "weights.gguf"));

        await Assert.ThrowsAnyAsync<Exception>(() => _app.InvokeAsync(Local(name, RefusedByTheCatalog)));

        Assert.Equal(2, (await _app.StreamAsync(name)).Count);
        Assert.Equal(new object?[] { 2L, 1 }, await ModelRowAsync(name));
        var after = await _app.InvokeAsync(Local(name, "weights.gguf"));
        Assert.Equal(2, Assert.Single(after.Decided.OfType<VersionRegistered>()).Version);
    }

    private async Task<object?[]?> ModelRowAsync(string name) =>
        (await db.RowsAsync($"SELECT stream_version, latest_version FROM {CatalogProjection.Models} WHERE key = $1", CatalogStream.StreamId(name)))
        .SingleOrDefault();

    private async Task<List<int>> VersionRowsAsync(string name) =>
        (await db.RowsAsync($"SELECT version FROM {CatalogProjection.Versions} WHERE model_key = $1 ORDER BY version", CatalogStream.StreamId(name)))
        .Select(r => (int)r[0]!).ToList();

    private static RegisterVersion Local(string name, string uri) => new(
        name, null, new VersionSource(SourceType.Local, uri, null, null), null, null, VersionMetadata.Empty, "alice",
        new MeasuredFile($"{name}/{uri}", 7, new string('c', 64)));

    private static RegisterVersion Remote(string name) => new(
        name, null, new VersionSource(SourceType.Url, "https://models.example/m.gguf", null, null), null, null, VersionMetadata.Empty, "alice", null);
}
