using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Admin;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Promoting;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.IntegrationTests.EventStore.OnMarten;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>
/// The catalog rebuilt from the first event through the admin API (Marten's daemon replays into copies of the tables, which are
/// swapped in with the events committed meanwhile) while commands keep appending and reads keep answering.
/// </summary>
public sealed class RebuildTests(TestDatabase db) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const int Writable = 25;
    private const int Padding = 100;

    private readonly string _root = Directory.CreateTempSubdirectory("mr-rebuild-").FullName;
    private RegistryApp _app = null!;

    private ProjectionAdmin Projections => _app.Services.GetRequiredService<ProjectionAdmin>();

    public async Task InitializeAsync() => _app = await RegistryApp.StartAsync(db.ConnectionString, _root,
        new Dictionary<string, string?> { ["Registry:EventStore:RebuildBatchSize"] = "400" });

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_rebuild_while_eight_writers_append_loses_no_event_and_reads_keep_answering()
    {
        await SeedAsync();
        using var stop = new CancellationTokenSource();
        var rebuilding = 0;
        var appendedDuringRebuild = 0;
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var commands = 0;
            while (!stop.IsCancellationRequested && commands < 300)
            {
                var name = $"rb-{(w * 7 + commands) % Writable}";
                var done = await _app.InvokeAsync(LocalVersion(name));
                if (commands % 3 == 0)
                {
                    await _app.InvokeAsync(new PromoteVersion(name, Assert.Single(done.Decided.OfType<VersionRegistered>()).Version, Stage.Production));
                }

                commands++;
                if (Volatile.Read(ref rebuilding) == 1)
                {
                    Interlocked.Increment(ref appendedDuringRebuild);
                }

                await Task.Delay(5);
            }
        })).ToList();
        var failedReads = new ConcurrentQueue<string>();
        var readsDuringRebuild = 0;
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var url = i % 2 == 0 ? $"{Models}/rb-{(r + i) % Writable}" : "/api/v1/models?limit=50";
                var read = await _app.Scenario(s => { s.Get.Url(url); s.IgnoreStatusCode(); });
                if (read.Status != 200)
                {
                    failedReads.Enqueue($"{url}: {read.Status} {read.Text}");
                }
                else if (Volatile.Read(ref rebuilding) == 1)
                {
                    Interlocked.Increment(ref readsDuringRebuild);
                }
            }
        })).ToList();

        await Task.Delay(200);
        await _app.Scenario(s => { s.Post.Url("/api/v1/admin/projections/catalog/rebuild"); s.StatusCodeShouldBe(202); });
        await Eventually.HoldsAsync(async () => (await CatalogAsync()).State == "rebuilding", within: TimeSpan.FromSeconds(120));
        Volatile.Write(ref rebuilding, 1);
        await Eventually.HoldsAsync(async () => (await CatalogAsync()).State == "running",
            () => $"{CatalogAsync().Result}\n{string.Join('\n', _app.Logs.Where(l => l.Category.EndsWith(nameof(CatalogRebuilder), StringComparison.Ordinal)))}",
            within: TimeSpan.FromSeconds(120));
        Volatile.Write(ref rebuilding, 0);
        await Task.Delay(200);
        await stop.CancelAsync();
        await Task.WhenAll(writers.Concat(readers));
        await Projections.WaitForNonStaleAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(failedReads);
        Assert.True(appendedDuringRebuild > 0 && readsDuringRebuild > 0, $"{appendedDuringRebuild} appends and {readsDuringRebuild} reads during the rebuild");
        Assert.Empty(await db.RowsAsync($"""
            SELECT s.id, s.version, m.stream_version FROM registry.mt_streams s LEFT JOIN {CatalogProjection.Models} m ON m.key = s.id
            WHERE s.id <> 'mt_tombstone' AND m.stream_version IS DISTINCT FROM s.version
            """));
        Assert.Empty(await db.RowsAsync($"""
            SELECT e.stream_id, count(*), (SELECT count(*) FROM {CatalogProjection.Versions} v WHERE v.model_key = e.stream_id)
            FROM registry.mt_events e WHERE e.type = 'VersionRegistered' GROUP BY e.stream_id
            HAVING count(*) <> (SELECT count(*) FROM {CatalogProjection.Versions} v WHERE v.model_key = e.stream_id)
            """));
        var future = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        foreach (var name in Enumerable.Range(0, Writable).Select(k => $"rb-{k}").Append("padding-0"))
        {
            var live = await _app.Scenario(s => { s.Get.Url($"{Models}/{name}?versions_limit=200"); s.StatusCodeShouldBe(200); });
            var folded = await _app.Scenario(s => { s.Get.Url($"{Models}/{name}?versions_limit=200&as_of={future}"); s.StatusCodeShouldBe(200); });
            Assert.Equal(folded.Text, live.Text);
        }
    }

    [Fact]
    public async Task A_rebuild_clears_away_earlier_copies_but_not_those_of_the_rebuild_that_superseded_it()
    {
        var rebuilder = _app.Services.GetRequiredService<CatalogRebuilder>();
        var (superseded, current) = (Guid.CreateVersion7(), Guid.Empty);
        await rebuilder.ChangeAsync(state =>
        {
            current = state.RequestRebuild(DateTimeOffset.UtcNow);
            return true;
        }, CancellationToken.None);
        var (stale, filling, own) = (Copy("000000000000"), Copy(current.ToString("N")[^12..]), Copy(superseded.ToString("N")[^12..]));
        foreach (var table in new[] { stale, filling, own })
        {
            await db.RowsAsync($"CREATE TABLE {table} (key text)");
        }

        try
        {
            // The superseded rebuild got past its claim before the newer request: it clears its own and older copies, never the ones
            // the newer rebuild is filling.
            await rebuilder.DropShadowsAsync(superseded, CancellationToken.None);
            Assert.Equal([filling], await CopiesAsync());

            // The current rebuild, attempting again, clears what its earlier attempt left.
            await rebuilder.DropShadowsAsync(current, CancellationToken.None);
            Assert.Empty(await CopiesAsync());
        }
        finally
        {
            await rebuilder.ChangeAsync(state =>
            {
                (state.State, state.RebuildId, state.RebuildVersion) = (ProjectionStates.Running, null, null);
                return true;
            }, CancellationToken.None);
        }

        static string Copy(string suffix) => $"{CatalogProjection.Models}__rebuild_{suffix}";

        async Task<string[]> CopiesAsync() => (await db.RowsAsync(
                $"SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '{CatalogProjection.Models}\\_\\_rebuild%' ORDER BY 1"))
            .Select(r => (string)r[0]!).ToArray();
    }

    /// <summary>Models with a few versions for the writers, and many events on other models for the rebuild to replay.</summary>
    private async Task SeedAsync()
    {
        await using var session = _app.Store.LightweightSession();
        for (var k = 0; k < Writable; k++)
        {
            var name = $"rb-{k}";
            session.Events.StartStream(name, [Registered(name), .. Enumerable.Range(1, 20).Select(v => (object)Ready(name, v))]);
        }

        await session.SaveChangesAsync();
        for (var p = 0; p < Padding; p++)
        {
            await using var padding = _app.Store.LightweightSession();
            var name = $"padding-{p}";
            padding.Events.StartStream(name, [Registered(name), .. Enumerable.Range(1, 100).Select(i => (object)new ModelUpdated($"description {i}", null))]);
            await padding.SaveChangesAsync();
        }
    }

    private static ModelRegistered Registered(string name) => new(name, null, ImmutableDictionary<string, string>.Empty, "seeder");

    private static VersionRegistered Ready(string name, int version) => new(version, new VersionSource(SourceType.Local, $"{name}/{version}.gguf", null, null),
        new string('e', 64), ModelFormat.Gguf, VersionMetadata.Empty, ArtifactStatus.Ready, $"{name}/{version}.gguf", 7, null);

    private static RegisterVersion LocalVersion(string name) => new(
        name, null, new VersionSource(SourceType.Local, "weights.gguf", null, null), null, null, VersionMetadata.Empty, "writer",
        new MeasuredFile($"{name}/{Guid.NewGuid():N}.gguf", 7, new string('f', 64)));

    private async Task<ProjectionStatus> CatalogAsync() => Assert.Single(await Projections.GetStatusAsync(), s => s.Name == "catalog");
}
