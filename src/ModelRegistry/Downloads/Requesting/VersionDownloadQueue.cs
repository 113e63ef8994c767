using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Common;
using ModelRegistry.Downloads.Processing;
using ModelRegistry.Downloads.Sources;
using ModelRegistry.Downloads.State;
using ModelRegistry.EventStore;
using Npgsql;
using Wolverine;
using Wolverine.Persistence.Durability;
using Wolverine.RDBMS;
using Wolverine.Runtime;

namespace ModelRegistry.Downloads.Requesting;

/// <summary>
/// Fills the catalog's seam: a URL outside the egress policy is refused with the request, and the download — its
/// <see cref="DownloadRecord"/> and its <see cref="DownloadVersion"/> message in Wolverine's durable inbox — is stored in the
/// transaction that registers the version, so the three commit together or not at all. Once it has committed the message is
/// handed to this instance's durable <c>downloads</c> queue; a message whose instance died first is recovered by another.
/// </summary>
internal sealed class VersionDownloadQueue(
    DownloadsOptions options,
    DownloadWorkerOptions worker,
    EgressPolicy egress,
    DownloadRecords records,
    IWolverineRuntime runtime,
    TimeProvider clock) : IVersionDownloadQueue
{
    public void Check(SourceRequest source, string field)
    {
        if (!string.Equals(source.Type, nameof(SourceType.Url), StringComparison.OrdinalIgnoreCase) || !Uri.TryCreate(source.Uri, UriKind.Absolute, out var url))
        {
            return;
        }

        try
        {
            egress.CheckUrl(url);
        }
        catch (DownloadRefusedException refused)
        {
            throw DomainErrors.Invalid(field, refused.Code, refused.Message);
        }
    }

    public async Task EnqueueAsync(AppendTransaction transaction, VersionDownloadRequest request, CancellationToken ct)
    {
        var id = DownloadJob.IdFor(request.ModelName, request.Version);
        var now = clock.GetUtcNow();
        var record = new DownloadRecord
        {
            Id = id,
            ModelName = request.ModelName,
            ModelVersion = request.Version,
            SourceType = request.Source.Type.ToString(),
            SourceUri = request.Source.Uri,
            SourceRevision = request.Source.Revision,
            SourceFile = request.Source.File,
            Sha256 = request.Sha256,
            Actor = request.Actor,
            CorrelationId = request.CorrelationId,
            MaxAttempts = Math.Max(1, options.MaxAttempts),
            CreatedAt = now,
            UpdatedAt = now,
            SortKey = DownloadRecord.SortKeyOf(now, id),
        };
        if (!await records.CreateAsync(transaction.Transaction, record, ct))
        {
            return;
        }

        var bus = new MessageContext(runtime);
        bus.EnlistInOutbox(new InboxInTransaction(Database(), transaction.Transaction,
            worker.RunWorker ? runtime.Options.Durability.AssignedNodeNumber : 0));
        await bus.PublishAsync(new DownloadVersion(id));
        if (worker.RunWorker)
        {
            // The message is stored: handing it to the local queue is not the request's to wait for (a full queue holds the hand-over
            // until a download ends), and one that never arrives there is recovered from the inbox.
            transaction.AfterCommit(token =>
            {
                _ = Task.Run(async () => await bus.FlushOutgoingMessagesAsync(), CancellationToken.None);
                return Task.CompletedTask;
            });
        }
    }

    private IMessageDatabase Database() => runtime.Storage as IMessageDatabase
        ?? throw new InvalidOperationException($"Wolverine's message store is {runtime.Storage.GetType().Name}, not a database; downloads need the PostgreSQL inbox.");

    /// <summary>
    /// Wolverine's envelopes written in our own transaction: the download's message goes into the durable inbox, owned by this
    /// node when it runs downloads (it is handed to the local queue after the commit) or by no node (for a node that does).
    /// </summary>
    private sealed class InboxInTransaction(IMessageDatabase database, NpgsqlTransaction transaction, int ownerId) : IEnvelopeTransaction
    {
        public Task PersistOutgoingAsync(Envelope envelope) => PersistOutgoingAsync([envelope]);

        public Task PersistOutgoingAsync(Envelope[] envelopes) =>
            envelopes.Length == 0 ? Task.CompletedTask : database.StoreOutgoingAsync(transaction, envelopes);

        public Task PersistIncomingAsync(Envelope envelope)
        {
            envelope.Status = EnvelopeStatus.Incoming;
            envelope.OwnerId = ownerId;
            return database.StoreIncomingAsync(transaction, [envelope]);
        }

        public ValueTask RollbackAsync() => ValueTask.CompletedTask;

        public Task<bool> TryMakeEagerIdempotencyCheckAsync(Envelope envelope, DurabilitySettings settings, CancellationToken cancellation) =>
            Task.FromResult(true);
    }
}
