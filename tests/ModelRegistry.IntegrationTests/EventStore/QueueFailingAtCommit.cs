using Marten;
using ModelRegistry.Catalog.Registering;
using Wolverine;

namespace ModelRegistry.IntegrationTests.EventStore;

/// <summary>A download queue that makes a remote registration fail at its commit: it queues a statement that fails in that transaction.</summary>
internal sealed class QueueFailingAtCommit : IVersionDownloadQueue
{
    public ValueTask EnqueueAsync(IDocumentSession session, IMessageContext bus, VersionDownloadRequest request)
    {
        session.QueueSqlCommand("SELECT 1 / 0");
        return ValueTask.CompletedTask;
    }
}
