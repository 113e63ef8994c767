using Marten;
using JasperFxConcurrencyException = JasperFx.ConcurrencyException;

namespace ModelRegistry.Downloads.State;

/// <summary>What a cancellation request found.</summary>
internal enum CancelOutcome
{
    NotFound,

    /// <summary>A waiting download was cancelled at once.</summary>
    Cancelled,

    /// <summary>A running download was asked to stop: its worker sees it within a heartbeat.</summary>
    Requested,

    AlreadyFinished,
}

/// <summary>
/// Reads and changes <see cref="DownloadRecord"/>s. Every change loads the document and stores it against the revision it
/// loaded; a change that met another is tried again on what that one left, so no change is lost and none applies twice.
/// </summary>
internal sealed class DownloadRecords(IDocumentStore documents, TimeProvider clock)
{
    private const int MaxTries = 20;

    public async Task<DownloadRecord?> GetAsync(Guid id, CancellationToken ct)
    {
        await using var session = documents.QuerySession();
        return await session.LoadAsync<DownloadRecord>(id, ct);
    }

    /// <summary>Newest first, in <paramref name="state"/> when given, after the position <paramref name="after"/> when given.</summary>
    public async Task<IReadOnlyList<DownloadRecord>> ListAsync(string? state, string? after, int limit, CancellationToken ct)
    {
        await using var session = documents.QuerySession();
        var where = new List<string>();
        var parameters = new List<object>();
        if (state is not null)
        {
            where.Add("data ->> 'state' = ?");
            parameters.Add(state);
        }

        if (after is not null)
        {
            where.Add("(data ->> 'sort_key') COLLATE \"C\" < ?");
            parameters.Add(after);
        }

        parameters.Add(limit);
        var sql = $"{(where.Count == 0 ? "" : "where " + string.Join(" and ", where))} order by (data ->> 'sort_key') COLLATE \"C\" desc limit ?";
        return await session.QueryAsync<DownloadRecord>(sql, ct, [.. parameters]);
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the stored download and saves it, trying again when another change came first;
    /// <paramref name="change"/> returns false to save nothing. Answers the download as saved (or as found), null when there is none.
    /// </summary>
    public async Task<DownloadRecord?> ChangeAsync(Guid id, Func<DownloadRecord, bool> change, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = documents.LightweightSession();
            if (await session.LoadAsync<DownloadRecord>(id, ct) is not { } record)
            {
                return null;
            }

            if (!change(record))
            {
                return record;
            }

            record.UpdatedAt = clock.GetUtcNow();
            session.Store(record);
            try
            {
                await session.SaveChangesAsync(ct);
                return record;
            }
            catch (Exception ex) when (IsConflict(ex) && attempt < MaxTries)
            {
            }
        }
    }

    /// <summary>
    /// In <paramref name="session"/>'s transaction: the download is still this claim's (<paramref name="fence"/> is its latest attempt
    /// and it is neither finished nor cancelled) and is marked succeeded; otherwise throws <see cref="DownloadClaimLostException"/>,
    /// which rolls the transaction back. Stored against the revision it was loaded at, so a change another transaction commits
    /// meanwhile fails this one at its save, and the command runs again on what that one left.
    /// </summary>
    public async Task CompleteAsync(IDocumentSession session, Guid id, int fence, CancellationToken ct)
    {
        var record = await session.LoadAsync<DownloadRecord>(id, ct);
        if (record is null || record.Attempts != fence || record.IsFinished || record.CancelRequested)
        {
            throw new DownloadClaimLostException(id, fence);
        }

        var now = clock.GetUtcNow();
        (record.State, record.FinishedAt, record.UpdatedAt, record.NextAttemptAt, record.LastError) = (DownloadStates.Succeeded, now, now, null, null);
        session.Store(record);
    }

    public async Task SaveProgressAsync(Guid id, DownloadProgressRecord progress, CancellationToken ct)
    {
        progress.Id = id;
        await using var session = documents.LightweightSession();
        session.Store(progress);
        await session.SaveChangesAsync(ct);
    }

    public async Task<DownloadProgressRecord?> GetProgressAsync(Guid id, CancellationToken ct)
    {
        await using var session = documents.QuerySession();
        return await session.LoadAsync<DownloadProgressRecord>(id, ct);
    }

    public async Task<IReadOnlyDictionary<Guid, DownloadProgressRecord>> GetProgressAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return new Dictionary<Guid, DownloadProgressRecord>();
        }

        await using var session = documents.QuerySession();
        var found = await session.LoadManyAsync<DownloadProgressRecord>(ct, ids);
        return found.ToDictionary(p => p.Id);
    }

    internal static bool IsConflict(Exception ex) => ex is JasperFxConcurrencyException || ex.InnerException is JasperFxConcurrencyException
        || ex is AggregateException { InnerExceptions: var inner } && inner.Any(IsConflict);
}

/// <summary>This worker's claim on the download is no longer the latest (or the download was cancelled or finished meanwhile).</summary>
public sealed class DownloadClaimLostException(Guid id, int fence)
    : Exception($"Download {id} is no longer claim {fence}'s to finish.");
