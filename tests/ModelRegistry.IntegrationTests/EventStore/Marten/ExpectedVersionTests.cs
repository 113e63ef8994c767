using JasperFx;
using JasperFx.Events;
using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>Optimistic concurrency on an existing stream, with <c>UseExclusiveLockOnConcurrentAppends</c> as the app sets it.</summary>
public sealed class ExpectedVersionTests(TestDatabase db) : ConformanceTests(db)
{
    protected override void Configure(StoreOptions options) => ConformanceStore.ForWriting(options);

    [Fact]
    public async Task A_stale_expected_version_is_refused_when_fetching_for_writing_with_a_plain_concurrency_exception()
    {
        var key = await RegisteredAsync();
        await using var session = Store.LightweightSession();

        var refused = await Assert.ThrowsAsync<ConcurrencyException>(() => session.Events.FetchForWriting<WriteModel>(key, 5));

        Assert.Equal("Expected the existing version to be 5, but was 1", refused.Message);
    }

    [Fact]
    public async Task A_refused_expected_version_writes_nothing()
    {
        var key = await RegisteredAsync();
        var before = await Db.LastDrawnSequenceAsync();

        await using (var session = Store.LightweightSession())
        {
            await Assert.ThrowsAnyAsync<ConcurrencyException>(() => session.Events.FetchForWriting<WriteModel>(key, 5));
        }

        Assert.Single(await Store.QuerySession().Events.FetchStreamAsync(key));
        Assert.Equal(before, await Db.LastDrawnSequenceAsync());
    }

    [Fact]
    public async Task Of_two_sessions_that_fetched_the_same_version_the_second_to_save_is_refused()
    {
        var key = await RegisteredAsync();
        await using var first = Store.LightweightSession();
        await using var second = Store.LightweightSession();
        var a = await first.Events.FetchForWriting<WriteModel>(key, 1);
        var b = await second.Events.FetchForWriting<WriteModel>(key, 1);
        a.AppendOne(CatalogEvents.Version(1));
        b.AppendOne(CatalogEvents.Version(1));
        await first.SaveChangesAsync();

        var refused = await Assert.ThrowsAsync<EventStreamUnexpectedMaxEventIdException>(() => second.SaveChangesAsync());

        Assert.IsAssignableFrom<ConcurrencyException>(refused);
    }

    [Fact]
    public async Task Of_six_writers_saving_at_the_same_version_at_once_exactly_one_wins()
    {
        var key = await RegisteredAsync();
        var sessions = Enumerable.Range(0, 6).Select(_ => Store.LightweightSession()).ToList();
        foreach (var session in sessions)
        {
            (await session.Events.FetchForWriting<WriteModel>(key)).AppendOne(CatalogEvents.Version(1));
        }

        var outcomes = await Task.WhenAll(sessions.Select(async session =>
        {
            try
            {
                await session.SaveChangesAsync();
                return "won";
            }
            catch (Exception e)
            {
                return e.GetType().Name;
            }
            finally
            {
                await session.DisposeAsync();
            }
        }));

        Assert.Equal(["won", .. Enumerable.Repeat(nameof(EventStreamUnexpectedMaxEventIdException), 5)], outcomes.OrderBy(o => o != "won"));
    }

    [Fact]
    public async Task A_writer_that_waited_for_the_stream_and_lost_draws_no_sequence_number()
    {
        var key = await RegisteredAsync();
        await using var gate = await TransactionHold.CloseGateAsync(Db);
        await using var first = Store.LightweightSession();
        await using var second = Store.LightweightSession();
        (await first.Events.FetchForWriting<WriteModel>(key)).AppendOne(new ModelLocked(TransactionHold.Reason));
        (await second.Events.FetchForWriting<WriteModel>(key)).AppendOne(CatalogEvents.Version(1));
        var before = await Db.LastDrawnSequenceAsync();

        var winning = first.SaveChangesAsync();
        await gate.WaitForBlockedAsync(1);
        var losing = second.SaveChangesAsync();
        await gate.WaitForBlockedAsync(2);
        await gate.OpenAsync();

        await winning;
        await Assert.ThrowsAsync<EventStreamUnexpectedMaxEventIdException>(() => losing);
        Assert.Equal(before + 1, await Db.LastDrawnSequenceAsync());
    }

    [Fact]
    public async Task Append_with_an_expected_version_expects_the_streams_version_after_the_append()
    {
        var key = await RegisteredAsync();
        await using (var session = Store.LightweightSession())
        {
            session.Events.Append(key, 2, CatalogEvents.Version(1));
            await session.SaveChangesAsync();
        }

        Assert.Equal([1L, 2L], (await Store.QuerySession().Events.FetchStreamAsync(key)).Select(e => e.Version));
    }

    [Fact]
    public async Task Append_expecting_the_streams_current_version_is_refused_at_save()
    {
        var key = await RegisteredAsync();
        await using var session = Store.LightweightSession();
        session.Events.Append(key, 1, CatalogEvents.Version(1));

        await Assert.ThrowsAsync<EventStreamUnexpectedMaxEventIdException>(() => session.SaveChangesAsync());
    }

    private async Task<string> RegisteredAsync()
    {
        var key = CatalogEvents.NewKey("ev");
        await using var session = Store.LightweightSession();
        session.Events.StartStream(key, CatalogEvents.Registered(key));
        await session.SaveChangesAsync();
        return key;
    }
}
