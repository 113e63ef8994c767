using JasperFx.Events;
using Marten;
using Marten.Exceptions;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>An event id is stored once (<c>EnableUniqueIndexOnEventId</c>): the idempotent-append guard.</summary>
public sealed class DuplicateEventIdTests(TestDatabase db) : ConformanceTests(db)
{
    [Fact]
    public async Task Appending_an_event_id_stored_before_fails_with_a_unique_violation_on_the_event_id_index()
    {
        var taken = await StoredEventIdAsync();

        var refused = await Assert.ThrowsAsync<MartenCommandException>(() => AppendWithIdAsync(CatalogEvents.NewKey("dup"), taken));

        var postgres = Assert.IsType<PostgresException>(refused.InnerException);
        Assert.Equal((PostgresErrorCodes.UniqueViolation, "idx_mt_events_event_id"), (postgres.SqlState, postgres.ConstraintName));
    }

    [Fact]
    public async Task An_append_refused_for_a_duplicate_id_writes_none_of_its_events()
    {
        var taken = await StoredEventIdAsync();
        var key = CatalogEvents.NewKey("dup");

        await Assert.ThrowsAsync<MartenCommandException>(() => AppendWithIdAsync(key, taken));

        Assert.Empty(await Store.QuerySession().Events.FetchStreamAsync(key));
        Assert.Null(await Store.QuerySession().Events.FetchStreamStateAsync(key));
    }

    [Fact]
    public async Task An_append_refused_for_a_duplicate_id_has_drawn_its_sequence_numbers_all_the_same()
    {
        var taken = await StoredEventIdAsync();
        var before = await Db.LastDrawnSequenceAsync();

        await Assert.ThrowsAsync<MartenCommandException>(() => AppendWithIdAsync(CatalogEvents.NewKey("dup"), taken));

        Assert.Equal(before + 3, await Db.LastDrawnSequenceAsync());
    }

    [Fact]
    public async Task Of_six_concurrent_appends_of_one_event_id_to_new_streams_exactly_one_is_stored()
    {
        var id = Guid.CreateVersion7();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            try
            {
                await AppendWithIdAsync(CatalogEvents.NewKey("dup-race"), id);
                return true;
            }
            catch (MartenCommandException)
            {
                return false;
            }
        })));

        Assert.Single(outcomes, won => won);
        Assert.Equal(1L, await Db.ScalarAsync<long>("SELECT count(*) FROM registry.mt_events WHERE id = $1", id));
    }

    private async Task<Guid> StoredEventIdAsync()
    {
        var id = Guid.CreateVersion7();
        var e = Event.For(CatalogEvents.Registered("first"));
        e.Id = id;
        await using var session = Store.LightweightSession();
        session.Events.StartStream(CatalogEvents.NewKey("first"), e);
        await session.SaveChangesAsync();
        return id;
    }

    private async Task AppendWithIdAsync(string key, Guid id)
    {
        var repeated = Event.For(CatalogEvents.Version(2));
        repeated.Id = id;
        await using var session = Store.LightweightSession();
        session.Events.StartStream(key, CatalogEvents.Registered(key), CatalogEvents.Version(1), repeated);
        await session.SaveChangesAsync();
    }
}
