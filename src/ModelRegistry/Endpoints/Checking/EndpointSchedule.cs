using Marten;
using Weasel.Postgresql.Tables;
using Wolverine;

namespace ModelRegistry.Endpoints.Checking;

/// <summary>The next scheduled check of an active endpoint: a durable Wolverine message of its current chain.</summary>
public sealed record CheckEndpoint(string EndpointId, Guid Chain);

/// <summary>
/// Each active endpoint has one chain of scheduled <see cref="CheckEndpoint"/> messages: each check schedules the next. A chain is
/// named by an id kept in the endpoint's row of <see cref="Table"/>; starting a new chain (activation, a changed URL or key) or
/// stopping it (deactivation, removal) changes that id in the command's transaction, and a message of another chain does
/// nothing. The row also holds the lease of the check under way (<c>running_until</c>): a check, scheduled or manual, takes it
/// first, so checks of one endpoint never overlap, on one instance or several; a lease outlives a crashed check by little.
/// </summary>
internal static class EndpointSchedule
{
    public const string Table = "public.mr_endpoint_checks";

    public static Table SchemaObject()
    {
        var table = new Table(Table) { PrimaryKeyName = "mr_endpoint_checks_pkey" };
        table.AddColumn("endpoint_id", "text").AsPrimaryKey();
        table.AddColumn("chain", "uuid");
        table.AddColumn("chain_started_at", "timestamptz");
        table.AddColumn("running_until", "timestamptz");
        table.AddColumn("last_manual_at", "timestamptz");
        table.AddColumn("checked_at", "timestamptz");
        table.AddColumn("status", "text");
        table.AddColumn("response_time_ms", "integer");
        table.AddColumn("error", "text");
        table.AddColumn("models_count", "integer");
        table.AddColumn("discovered_at", "timestamptz");
        return table;
    }

    /// <summary>
    /// In the command's transaction: the endpoint gets its row, and when <paramref name="active"/> a new chain whose first check
    /// is sent with the commit (Wolverine's outbox).
    /// </summary>
    public static async Task StartAsync(IDocumentSession session, IMessageContext bus, string endpointId, bool active)
    {
        if (!active)
        {
            session.QueueSqlCommand($"INSERT INTO {Table} (endpoint_id) VALUES (?) ON CONFLICT (endpoint_id) DO NOTHING", endpointId);
            return;
        }

        var chain = Guid.CreateVersion7();
        session.QueueSqlCommand(
            $"INSERT INTO {Table} (endpoint_id, chain, chain_started_at) VALUES (?, ?, now()) " +
            "ON CONFLICT (endpoint_id) DO UPDATE SET chain = excluded.chain, chain_started_at = excluded.chain_started_at",
            endpointId, chain);
        await bus.PublishAsync(new CheckEndpoint(endpointId, chain));
    }

    public static void Stop(IDocumentSession session, string endpointId) =>
        session.QueueSqlCommand($"UPDATE {Table} SET chain = NULL WHERE endpoint_id = ?", endpointId);

    /// <summary>The endpoint's schedule, check history and usage go with it.</summary>
    public static void Forget(IDocumentSession session, string endpointId)
    {
        session.QueueSqlCommand($"DELETE FROM {Table} WHERE endpoint_id = ?", endpointId);
        session.QueueSqlCommand($"DELETE FROM {HealthHistory.Table} WHERE endpoint_id = ?", endpointId);
        session.QueueSqlCommand($"DELETE FROM {Usage.EndpointUsage.Table} WHERE endpoint_id = ?", endpointId);
    }
}
