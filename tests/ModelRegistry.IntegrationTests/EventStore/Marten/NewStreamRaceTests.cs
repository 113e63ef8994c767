using JasperFx;
using JasperFx.Events.Projections;
using Marten;
using Marten.Exceptions;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>Two writers creating the same stream: the first registration of a model, raced.</summary>
public sealed class NewStreamRaceTests(TestDatabase db) : ConformanceTests(db)
{
    protected override void Configure(StoreOptions options) => ConformanceStore.ForWriting(options);

    [Fact]
    public async Task Starting_a_stream_whose_key_is_taken_fails_with_a_collision_that_is_no_concurrency_exception()
    {
        var key = CatalogEvents.NewKey("new");
        await StartAsync(key);

        var refused = await Assert.ThrowsAsync<ExistingStreamIdCollisionException>(() => StartAsync(key));

        Assert.IsNotAssignableFrom<ConcurrencyException>(refused);
        Assert.Equal(key, refused.Id);
    }

    [Fact]
    public async Task Of_four_sessions_starting_the_same_stream_at_once_one_wins_and_the_others_collide()
    {
        var key = CatalogEvents.NewKey("new");

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => OutcomeAsync(() => StartAsync(key))));

        Assert.Equal(["won", .. Enumerable.Repeat(nameof(ExistingStreamIdCollisionException), 3)], outcomes.OrderBy(o => o != "won"));
    }

    [Fact]
    public async Task A_session_that_waited_for_a_stream_being_started_and_lost_draws_no_sequence_number()
    {
        var key = CatalogEvents.NewKey("new");
        await using var gate = await TransactionHold.CloseGateAsync(Db);
        var before = await Db.LastDrawnSequenceAsync();

        var winning = StartAsync(key, new ModelLocked(TransactionHold.Reason));
        await gate.WaitForBlockedAsync(1);
        var losing = StartAsync(key);
        await gate.WaitForBlockedAsync(2);
        await gate.OpenAsync();

        await winning;
        await Assert.ThrowsAsync<ExistingStreamIdCollisionException>(() => losing);
        Assert.Equal(before + 2, await Db.LastDrawnSequenceAsync());
    }

    [Fact]
    public async Task Two_sessions_fetching_a_missing_stream_for_writing_race_to_a_collision()
    {
        var key = CatalogEvents.NewKey("new");
        await using var first = Store.LightweightSession();
        await using var second = Store.LightweightSession();
        (await first.Events.FetchForWriting<WriteModel>(key)).AppendOne(CatalogEvents.Registered(key));
        (await second.Events.FetchForWriting<WriteModel>(key)).AppendOne(CatalogEvents.Registered(key));
        await first.SaveChangesAsync();

        await Assert.ThrowsAsync<ExistingStreamIdCollisionException>(() => second.SaveChangesAsync());
    }

    private async Task StartAsync(string key, params object[] more)
    {
        await using var session = Store.LightweightSession();
        session.Events.StartStream(key, [CatalogEvents.Registered(key), .. more]);
        await session.SaveChangesAsync();
    }

    private static async Task<string> OutcomeAsync(Func<Task> attempt)
    {
        try
        {
            await attempt();
            return "won";
        }
        catch (Exception e)
        {
            return e.GetType().Name;
        }
    }
}
