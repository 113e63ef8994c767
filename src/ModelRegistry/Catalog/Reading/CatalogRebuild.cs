using System.Globalization;
using JasperFx.Events;
using Marten;
using Marten.Schema;
using Marten.Services;
using Npgsql;
using Weasel.Postgresql;
using Wolverine;
using Wolverine.Attributes;
using SessionOptions = Marten.Services.SessionOptions;

namespace ModelRegistry.Catalog.Reading;

/// <summary>
/// The catalog projection's state, one Marten document: the version of the code that built the live tables, and the rebuild that
/// is pending or under way, if any (a newer request supersedes it). Stored with optimistic concurrency.
/// </summary>
public sealed class CatalogProjectionState
{
    public const string Key = CatalogProjection.ProjectionName;

    public string Id { get; set; } = Key;

    [Version]
    public Guid Revision { get; set; }

    /// <summary>The projection version the live tables were built with.</summary>
    public int Version { get; set; }

    /// <summary>running, rebuild_pending, rebuilding or faulted.</summary>
    public string State { get; set; } = ProjectionStates.Running;

    public Guid? RebuildId { get; set; }

    /// <summary>The version a pending or running rebuild builds.</summary>
    public int? RebuildVersion { get; set; }

    public string? LastError { get; set; }

    /// <summary>The position the live tables were rebuilt up to last, before they went on inline.</summary>
    public long RebuiltUpTo { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Records a rebuild of the current version pending (superseding one under way) and returns its id.</summary>
    public Guid RequestRebuild(DateTimeOffset now)
    {
        var id = Guid.CreateVersion7();
        (State, RebuildId, RebuildVersion, LastError, UpdatedAt) = (ProjectionStates.RebuildPending, id, CatalogProjection.Version, null, now);
        return id;
    }
}

public static class ProjectionStates
{
    public const string Running = "running";
    public const string RebuildPending = "rebuild_pending";
    public const string Rebuilding = "rebuilding";
    public const string Faulted = "faulted";
}

/// <summary>
/// Asks for a rebuild of the catalog: the state records it pending (superseding one under way), and <see cref="RebuildCatalog"/> goes
/// out in the same transaction. <see cref="OnlyForNewVersion"/>: only when the live tables were built by another version of the code,
/// and no rebuild for this one is pending already (what starting new code asks).
/// </summary>
public sealed record RequestCatalogRebuild(bool OnlyForNewVersion = false);

/// <summary>What a request for a rebuild did: the rebuild that is pending now, or none (the tables are current).</summary>
public sealed record CatalogRebuildRequested(Guid? RebuildId);

public static class RequestCatalogRebuildHandler
{
    public static async Task<(CatalogRebuildRequested, OutgoingMessages)> Handle(RequestCatalogRebuild request, IDocumentSession session,
        TimeProvider clock, CancellationToken cancellation)
    {
        var state = await session.LoadAsync<CatalogProjectionState>(CatalogProjectionState.Key, cancellation)
            ?? new CatalogProjectionState { Version = CatalogProjection.Version };
        if (request.OnlyForNewVersion && (state.Version == CatalogProjection.Version
                || (state.RebuildVersion == CatalogProjection.Version && state.State is ProjectionStates.RebuildPending or ProjectionStates.Rebuilding)))
        {
            return (new CatalogRebuildRequested(null), []);
        }

        var id = state.RequestRebuild(clock.GetUtcNow());
        session.Store(state);
        return (new CatalogRebuildRequested(id), [new RebuildCatalog(id)]);
    }
}

/// <summary>A durable request to rebuild the catalog from the first event; one instance takes it, another if that one dies.</summary>
[MessageIdentity("rebuild-catalog")]
public sealed record RebuildCatalog(Guid RebuildId);

/// <summary>Rebuilds the catalog (the handler's one dependency, so the generated handler needs no internal type).</summary>
public interface ICatalogRebuilder
{
    Task RebuildAsync(Guid rebuildId, CancellationToken ct);
}

[MessageTimeout(24 * 3600)]
public static class RebuildCatalogHandler
{
    public static Task Handle(RebuildCatalog message, ICatalogRebuilder rebuilder, CancellationToken cancellation) =>
        rebuilder.RebuildAsync(message.RebuildId, cancellation);
}

/// <summary>
/// Rebuilds the catalog without read downtime: Marten's daemon replays every event up to its high-water mark through the catalog
/// projection, whose replayed writes go into copies of the live tables (<see cref="CatalogProjection.ReplayInto"/>), while appends
/// keep writing the live tables inline. Then, in one transaction holding the live tables locked (so every transaction that wrote them
/// has committed and every later one waits, then writes the tables that take their names), the events committed since are applied
/// to the copies, the copies take the live tables' names, and the state records the version they were built with. A request made
/// meanwhile supersedes the rebuild: only the latest may swap its tables in.
/// </summary>
internal sealed partial class CatalogRebuilder(
    IDocumentStore store,
    CatalogProjection projection,
    ProductionCache productionCache,
    NpgsqlDataSource dataSource,
    TimeProvider clock,
    ILogger<CatalogRebuilder> logger) : ICatalogRebuilder
{
    private const int Attempts = 3;
    // Also what the copies of the rebuilds of earlier versions were called (catalog_models__rebuild), so those go too.
    private const string ShadowMarker = "__rebuild";
    private static readonly TimeSpan ShardTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Requests a rebuild and runs it in this process (what the command line does), answering the state it left.</summary>
    public async Task<CatalogProjectionState> RebuildNowAsync(CancellationToken ct)
    {
        Guid id = default;
        await ChangeAsync(state =>
        {
            id = state.RequestRebuild(clock.GetUtcNow());
            return true;
        }, ct);
        await RebuildAsync(id, ct);
        return (await ChangeAsync(_ => false, ct))!;
    }

    public async Task RebuildAsync(Guid rebuildId, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await RunAsync(rebuildId, ct);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                LogFailed(logger, ex, attempt);
                if (attempt >= Attempts)
                {
                    await ChangeAsync(state =>
                    {
                        if (state.RebuildId != rebuildId)
                        {
                            return false;
                        }

                        (state.State, state.LastError) = (ProjectionStates.Faulted, $"{ex.GetType().Name}: {ex.Message}");
                        return true;
                    }, CancellationToken.None);
                    return;
                }
            }
        }
    }

    private async Task RunAsync(Guid rebuildId, CancellationToken ct)
    {
        var claimed = await ChangeAsync(state =>
        {
            if (state.RebuildId != rebuildId || state.State is not (ProjectionStates.RebuildPending or ProjectionStates.Rebuilding or ProjectionStates.Faulted))
            {
                return false;
            }

            state.State = ProjectionStates.Rebuilding;
            return true;
        }, ct);
        if (claimed is not { State: ProjectionStates.Rebuilding } || claimed.RebuildId != rebuildId)
        {
            LogSuperseded(logger, rebuildId);
            return;
        }

        var shadow = CatalogTables.Rebuild(ShadowSuffix(rebuildId));
        await DropShadowsAsync(rebuildId, ct);
        await ExecuteAsync(CreateSql(shadow), ct);
        LogStarted(logger, rebuildId);
        using (projection.ReplayInto(shadow))
        {
            using (var daemon = await store.BuildProjectionDaemonAsync())
            {
                await daemon.RebuildProjectionAsync(CatalogProjection.ProjectionName, ShardTimeout, ct);
            }

            // The copies' own indexes, built once over the replayed rows rather than kept up to date row by row; then statistics, before
            // the tables go live and before the swap's lock: a table without them is planned as if nearly empty.
            await ExecuteAsync(IndexSql(shadow), ct);
            await ExecuteAsync(string.Join(";", shadow.Names.Select(n => $"ANALYZE {n.Table}")), ct);
            if (!await SwapAsync(rebuildId, shadow, projection.ReplayedUpTo, ct))
            {
                LogSuperseded(logger, rebuildId);
                await ExecuteAsync(string.Join(";", shadow.Names.Select(n => $"DROP TABLE IF EXISTS {n.Table}")), ct);
                return;
            }
        }

        productionCache.Clear();
    }

    private async Task<bool> SwapAsync(Guid rebuildId, CatalogTables shadow, long replayedUpTo, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var lockTables = new NpgsqlCommand(
            $"LOCK TABLE {CatalogTables.Live.Models}, {CatalogTables.Live.Versions} IN ACCESS EXCLUSIVE MODE", conn, tx))
        {
            await lockTables.ExecuteNonQueryAsync(ct);
        }

        await using var session = store.LightweightSession(SessionOptions.ForTransaction(tx, shouldAutoCommit: false));
        var state = await session.LoadAsync<CatalogProjectionState>(CatalogProjectionState.Key, ct);
        if (state is null || state.RebuildId != rebuildId)
        {
            await tx.RollbackAsync(ct);
            return false;
        }

        // Holding the lock, every transaction that wrote the live tables has committed: the tail is every event committed since the
        // replay's last one, and whatever commits later writes the tables that are about to take the live names.
        var tail = await session.Events.QueryAllRawEvents().Where(e => e.Sequence > replayedUpTo && e.StreamKey != Common.RegistryStore.TombstoneStream)
            .OrderBy(e => e.Sequence).ToListAsync(ct);
        if (tail.Count > 0)
        {
            await projection.ApplyAsync(session, tail, ct);
        }

        (state.Version, state.State, state.RebuildId, state.RebuildVersion, state.LastError, state.RebuiltUpTo, state.UpdatedAt) =
            (state.RebuildVersion ?? CatalogProjection.Version, ProjectionStates.Running, null, null, null,
                tail.Count > 0 ? tail[^1].Sequence : replayedUpTo, clock.GetUtcNow());
        session.Store(state);
        await session.SaveChangesAsync(ct);
        await using (var swap = new NpgsqlCommand(SwapSql(shadow), conn, tx))
        {
            await swap.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        LogSwapped(logger, CatalogProjection.ProjectionName, state.RebuiltUpTo);
        return true;
    }

    /// <summary>The DDL of <paramref name="tables"/> as Weasel writes the live tables', but of their primary keys' indexes only.</summary>
    private static string CreateSql(CatalogTables tables)
    {
        var migrator = new PostgresqlMigrator();
        var writer = new StringWriter(CultureInfo.InvariantCulture);
        foreach (var table in new[] { tables.ModelsTable(), tables.VersionsTable() })
        {
            table.Indexes.Clear();
            table.WriteCreateStatement(migrator, writer);
        }

        return writer.ToString();
    }

    /// <summary>The other indexes of <paramref name="tables"/>, as Weasel declares them.</summary>
    private static string IndexSql(CatalogTables tables) =>
        string.Join(";\n", new[] { tables.ModelsTable(), tables.VersionsTable() }.SelectMany(t => t.Indexes.Select(i => i.ToDDL(t).TrimEnd(';'))));

    /// <summary>The live tables go; the copies, their indexes and keys take the live names.</summary>
    private static string SwapSql(CatalogTables shadow)
    {
        var sql = new List<string>();
        foreach (var (table, live) in shadow.Names)
        {
            sql.Add($"DROP TABLE {live}");
            sql.Add($"ALTER TABLE {table} RENAME TO {live}");
            sql.Add($"ALTER TABLE {live} RENAME CONSTRAINT {table}_pkey TO {live}_pkey");
        }

        foreach (var (copy, live) in new[] { (shadow.ModelsTable(), CatalogTables.Live.ModelsTable()), (shadow.VersionsTable(), CatalogTables.Live.VersionsTable()) })
        {
            sql.AddRange(copy.Indexes.Zip(live.Indexes, (c, l) => $"ALTER INDEX {c.Name} RENAME TO {l.Name}"));
        }

        return string.Join(";\n", sql);
    }

    private static string ShadowSuffix(Guid rebuildId) => $"{ShadowMarker}_{rebuildId.ToString("N")[^12..]}";

    /// <summary>
    /// Drops the copies of earlier rebuilds (superseded, or cut off by a crash) and this one's from an earlier attempt, but not the
    /// copies of another rebuild that the state names now: a superseded rebuild may come here after the one that superseded it has
    /// started filling them.
    /// </summary>
    internal async Task DropShadowsAsync(Guid rebuildId, CancellationToken ct)
    {
        var current = (await ChangeAsync(_ => false, ct))?.RebuildId is { } id && id != rebuildId ? ShadowSuffix(id) : null;
        await using var find = dataSource.CreateCommand(
            $"SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'catalog\\_%{ShadowMarker.Replace("_", "\\_", StringComparison.Ordinal)}%'");
        var tables = new List<string>();
        await using (var reader = await find.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var table = reader.GetString(0);
                if (current is null || !table.EndsWith(current, StringComparison.Ordinal))
                {
                    tables.Add(table);
                }
            }
        }

        if (tables.Count > 0)
        {
            await ExecuteAsync(string.Join(";", tables.Select(t => $"DROP TABLE IF EXISTS {t}")), ct);
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Changes the state document (created as running at the current version when missing); null when there is none to change.</summary>
    internal async Task<CatalogProjectionState?> ChangeAsync(Func<CatalogProjectionState, bool> change, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var session = store.LightweightSession();
            var state = await session.LoadAsync<CatalogProjectionState>(CatalogProjectionState.Key, ct)
                ?? new CatalogProjectionState { Version = CatalogProjection.Version };
            if (!change(state))
            {
                return state;
            }

            state.UpdatedAt = clock.GetUtcNow();
            session.Store(state);
            try
            {
                await session.SaveChangesAsync(ct);
                return state;
            }
            catch (Exception ex) when (attempt < 20 && ex is JasperFx.ConcurrencyException or JasperFx.DocumentAlreadyExistsException
                                       || ex.InnerException is JasperFx.ConcurrencyException)
            {
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuilding the catalog from the first event (rebuild {RebuildId})")]
    private static partial void LogStarted(ILogger logger, Guid rebuildId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Projection {Projection} rebuilt up to position {Position} and swapped in")]
    private static partial void LogSwapped(ILogger logger, string projection, long position);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuild {RebuildId} of the catalog was superseded by a newer request")]
    private static partial void LogSuperseded(ILogger logger, Guid rebuildId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebuilding the catalog failed (attempt {Attempt})")]
    private static partial void LogFailed(ILogger logger, Exception exception, int attempt);
}
