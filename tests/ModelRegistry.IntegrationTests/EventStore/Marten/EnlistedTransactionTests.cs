using Marten;
using Marten.Services;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;

namespace ModelRegistry.IntegrationTests.EventStore.OnMarten;

/// <summary>A session enlisted in a transaction of ours (<c>SessionOptions.ForTransaction(tx, false)</c>) saves into it and leaves the commit to us.</summary>
public sealed class EnlistedTransactionTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Events_saved_by_an_enlisted_session_are_not_committed_by_the_save_and_are_gone_when_our_transaction_rolls_back()
    {
        using var store = await ConformanceStore.CreateAsync(db);
        var key = await SaveEnlistedAsync(store, async (tx, saved) =>
        {
            Assert.Empty(await store.QuerySession().Events.FetchStreamAsync(saved));
            await tx.RollbackAsync();
        });

        Assert.Empty(await store.QuerySession().Events.FetchStreamAsync(key));
    }

    [Fact]
    public async Task Events_saved_by_an_enlisted_session_are_stored_when_our_transaction_commits()
    {
        using var store = await ConformanceStore.CreateAsync(db);
        var key = await SaveEnlistedAsync(store, (tx, _) => tx.CommitAsync());

        Assert.Single(await store.QuerySession().Events.FetchStreamAsync(key));
    }

    /// <summary>Starts a new stream through a session enlisted in a transaction of ours, then lets <paramref name="end"/> finish it.</summary>
    private async Task<string> SaveEnlistedAsync(DocumentStore store, Func<NpgsqlTransaction, string, Task> end)
    {
        var key = CatalogEvents.NewKey("enlisted");
        await using var conn = new NpgsqlConnection(db.ConnectionString);
        await conn.OpenAsync();
        await using var tx = await conn.BeginTransactionAsync();
        await using (var session = store.LightweightSession(SessionOptions.ForTransaction(tx, shouldAutoCommit: false)))
        {
            session.Events.StartStream(key, CatalogEvents.Registered(key));
            await session.SaveChangesAsync();
        }

        await end(tx, key);
        return key;
    }
}
