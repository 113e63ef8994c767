using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Common;
using ModelRegistry.IntegrationTests.EventStore.OnMarten;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>
/// "Every event after position P" is the audit: it reads no further than Marten's high-water mark, so a reader paging on with its
/// cursor never passes an event that commits later with a smaller position, and holes that nothing will fill do not stop it.
/// </summary>
public sealed class GapSafeReadingTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-gapsafe-").FullName;
    private RegistryApp _app = null!;

    public async Task InitializeAsync() => _app = await RegistryApp.StartAsync(db.ConnectionString, _root,
        services: s => s.AddSingleton<IVersionDownloadQueue, QueueFailingAtCommit>());

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_reader_never_passes_an_event_that_commits_later_with_a_smaller_position()
    {
        var start = await CommittedAndReadAsync();

        long b;
        await using (var held = await OpenTransactionThatAppendsAsync())
        {
            b = await RegisterAsync();
            Assert.True(b > held.Position);

            var whileOpen = await _app.ReadAsync(start);
            Assert.DoesNotContain(whileOpen, e => e.Position >= held.Position);

            await held.CommitAsync();
            var after = await _app.ReadUntilAsync(start, events => events.Any(e => e.Position == b));
            Assert.Equal([held.Position, b], after.Select(e => e.Position));
        }
    }

    [Fact]
    public async Task A_rolled_back_position_leaves_a_hole_that_does_not_stop_readers()
    {
        var start = await CommittedAndReadAsync();
        long rolledBack;
        await using (var held = await OpenTransactionThatAppendsAsync())
        {
            rolledBack = held.Position;
            await held.RollbackAsync();
        }

        var b = await RegisterAsync();

        var after = await _app.ReadUntilAsync(start, events => events.Any(e => e.Position == b));
        Assert.DoesNotContain(after, e => e.Position == rolledBack);
        Assert.Equal([b], after.Select(e => e.Position));
    }

    [Fact]
    public async Task The_positions_of_a_command_that_failed_at_its_commit_are_not_shown_as_events()
    {
        var start = await CommittedAndReadAsync();
        var name = NewName();
        await _app.RegisterModel(name);

        await Assert.ThrowsAnyAsync<Exception>(() => _app.InvokeAsync(new RegisterVersion(name, null,
            new VersionSource(SourceType.Url, "https://models.example/m.gguf", null, null), null, null, VersionMetadata.Empty, "alice", null)));
        var b = await RegisterAsync();

        var after = await _app.ReadUntilAsync(start, events => events.Any(e => e.Position == b));
        var tombstones = (await db.RowsAsync("SELECT seq_id FROM registry.mt_events WHERE stream_id = $1 AND seq_id > $2", RegistryStore.TombstoneStream, start))
            .Select(r => (long)r[0]!).ToList();
        Assert.NotEmpty(tombstones);
        Assert.DoesNotContain(after, e => tombstones.Contains(e.Position) || e.Stream == RegistryStore.TombstoneStream);
        Assert.Equal(["ModelRegistered", "ModelRegistered"], await TypesAsync(after.Select(e => e.Position)));
    }

    /// <summary>Registers a new model; returns the position of its event once committed.</summary>
    private async Task<long> RegisterAsync()
    {
        var name = NewName();
        var done = await _app.InvokeAsync(new RegisterModel(name, null, ImmutableDictionary<string, string>.Empty, "alice"));
        return (await _app.StreamAsync(name)).Single(e => e.Id == done.Events[0].Id).Sequence;
    }

    /// <summary>A committed event that the audit has shown already: where the reader starts.</summary>
    private async Task<long> CommittedAndReadAsync()
    {
        var position = await RegisterAsync();
        await _app.ReadUntilAsync(position - 1, events => events.Any(e => e.Position == position));
        return position;
    }

    private async Task<List<string>> TypesAsync(IEnumerable<long> positions) =>
        (await db.RowsAsync("SELECT type FROM registry.mt_events WHERE seq_id = ANY($1) ORDER BY seq_id", (object)positions.ToArray()))
        .Select(r => (string)r[0]!).ToList();

    /// <summary>Appends an event in a transaction the test holds open, as another writer's append in flight.</summary>
    private async Task<OpenAppend> OpenTransactionThatAppendsAsync()
    {
        var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        var tx = await conn.BeginTransactionAsync();
        var position = await RawAppend.ExecuteAsync(conn, tx, NewName("held"), "ModelRegistered", 1, """{"name": "held", "tags": {}}""");
        return new OpenAppend(conn, tx, position);
    }

    private sealed class OpenAppend(NpgsqlConnection conn, NpgsqlTransaction tx, long position) : IAsyncDisposable
    {
        public long Position { get; } = position;

        public Task CommitAsync() => tx.CommitAsync();

        public Task RollbackAsync() => tx.RollbackAsync();

        public async ValueTask DisposeAsync()
        {
            await tx.DisposeAsync();
            await conn.DisposeAsync();
        }
    }
}
