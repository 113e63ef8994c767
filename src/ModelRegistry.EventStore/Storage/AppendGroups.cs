using ModelRegistry.EventStore.Projections;
using Npgsql;

namespace ModelRegistry.EventStore.Storage;

/// <summary>
/// Group commit for appends that run in a transaction: appends that arrive while earlier ones are in flight wait, and are then
/// written together in one transaction (their statements in one round trip, their inline projections and extra work after,
/// one COMMIT), at most <see cref="EventStoreOptions.AppendGroups"/> groups at a time. Nothing waits when the store is idle.
/// A group holds at most one append per stream, and takes its stream rows in key order so two groups cannot deadlock.
/// An append the database refuses (version check) leaves the others alone; anything that fails the group's transaction
/// sends each of its appends through on its own, so every caller gets exactly the outcome it would have had alone.
/// </summary>
internal sealed class AppendGroups(
    NpgsqlDataSource dataSource,
    EventStoreOptions options,
    AppendGroups.Work apply,
    Func<PendingAppend, CancellationToken, Task<AppendResult?>> alone)
{
    /// <summary>The inline projections and the caller's work for one append, in the group's transaction.</summary>
    public delegate Task Work(NpgsqlConnection connection, NpgsqlTransaction transaction, PendingAppend append, AppendResult result,
        DeferredWork deferred, CancellationToken ct);

    private readonly Lock _gate = new();
    private readonly List<Member> _waiting = [];
    private int _running;

    /// <summary>How many appends wait for a group.</summary>
    internal int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>The append's result, or null when the database refused it (see <see cref="AppendStatement"/>).</summary>
    public async Task<AppendResult?> AppendAsync(PendingAppend append, CancellationToken ct)
    {
        if (options.AppendGroups <= 0)
        {
            return await alone(append, ct);
        }

        Member? member = null;
        var start = false;
        lock (_gate)
        {
            if (_running < options.AppendGroups && _waiting.Count == 0)
            {
                _running++;
            }
            else
            {
                member = new Member(append, ct);
                _waiting.Add(member);
                start = _running < options.AppendGroups;
                _running += start ? 1 : 0;
            }
        }

        if (member is null)
        {
            // Nothing waits: this append goes through on its own, on the caller's flow; whatever arrived meanwhile follows.
            try
            {
                return await alone(append, ct);
            }
            finally
            {
                _ = RunAsync();
            }
        }

        if (start)
        {
            _ = RunAsync();
        }

        return await member.Completion.Task;
    }

    /// <summary>Writes what waits, group after group, then gives its slot back.</summary>
    private async Task RunAsync()
    {
        while (Take() is { Count: > 0 } group)
        {
            if (group.Count == 1)
            {
                await RunAloneAsync(group[0]);
            }
            else
            {
                await RunGroupAsync(group);
            }
        }
    }

    private List<Member> Take()
    {
        lock (_gate)
        {
            var group = new List<Member>();
            var streams = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < _waiting.Count && group.Count < options.AppendGroupSize; i++)
            {
                var member = _waiting[i];
                if (member.Cancellation.IsCancellationRequested)
                {
                    member.Completion.TrySetCanceled(member.Cancellation);
                    _waiting.RemoveAt(i--);
                }
                else if (streams.Add(member.Append.StreamId))
                {
                    group.Add(member);
                    _waiting.RemoveAt(i--);
                }
            }

            if (group.Count == 0)
            {
                _running--;
            }

            group.Sort((a, b) => string.CompareOrdinal(a.Append.StreamId, b.Append.StreamId));
            return group;
        }
    }

    private async Task RunAloneAsync(Member member)
    {
        try
        {
            member.Completion.TrySetResult(await alone(member.Append, member.Cancellation));
        }
        catch (OperationCanceledException) when (member.Cancellation.IsCancellationRequested)
        {
            member.Completion.TrySetCanceled(member.Cancellation);
        }
        catch (Exception ex)
        {
            member.Completion.TrySetException(ex);
        }
    }

    private async Task RunGroupAsync(List<Member> group)
    {
        var committing = false;
        try
        {
            await using var conn = await dataSource.OpenConnectionAsync();
            await using var tx = await conn.BeginTransactionAsync();
            var accepted = await AppendTogetherAsync(conn, tx, group);
            var deferred = new DeferredWork();
            foreach (var (member, result) in accepted)
            {
                await apply(conn, tx, member.Append, result, deferred, CancellationToken.None);
            }

            committing = true;
            await Deferred.ExecuteAsync(conn, tx, deferred, commit: true, CancellationToken.None);
            foreach (var member in group)
            {
                member.Completion.TrySetResult(accepted.Find(a => ReferenceEquals(a.Member, member)).Result);
            }
        }
        catch (NpgsqlException ex) when (committing && ex is not PostgresException)
        {
            // The connection failed while committing, so the COMMIT may have happened: as for an append on its own, the caller
            // learns of it (a retry with the same event ids then finds them stored).
            group.ForEach(m => m.Completion.TrySetException(ex));
        }
        catch (Exception)
        {
            // Nothing of the group is stored: each append goes through on its own and meets its own outcome.
            await Task.WhenAll(group.Select(RunAloneAsync));
        }
    }

    /// <summary>The group's appends in one statement; the ones whose stream claim succeeded, with their results.</summary>
    private static async Task<List<(Member Member, AppendResult Result)>> AppendTogetherAsync(NpgsqlConnection conn, NpgsqlTransaction tx,
        List<Member> group)
    {
        var appends = group.ConvertAll(m => m.Append);
        await using var batch = new NpgsqlBatch(conn, tx) { BatchCommands = { AppendStatement.CreateGroup(appends) } };
        await using var reader = await batch.ExecuteReaderAsync();
        var rows = await AppendStatement.ReadGroupAsync(reader, appends, CancellationToken.None);
        return [.. group.Select((m, i) => (Member: m, Rows: rows[i])).Where(x => x.Rows.Count > 0).Select(x => (x.Member, x.Member.Append.Result(x.Rows)))];
    }

    private sealed class Member(PendingAppend append, CancellationToken cancellation)
    {
        public PendingAppend Append { get; } = append;

        public CancellationToken Cancellation { get; } = cancellation;

        public TaskCompletionSource<AppendResult?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
