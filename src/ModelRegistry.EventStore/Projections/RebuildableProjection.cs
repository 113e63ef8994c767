using Npgsql;

namespace ModelRegistry.EventStore.Projections;

/// <summary>
/// A read model in tables of its own, kept by an inline Marten projection (the same object, registered with
/// <see cref="EventStoreServiceCollectionExtensions.AddInlineProjection{TProjection}(Microsoft.Extensions.DependencyInjection.IServiceCollection)"/>)
/// and rebuilt from the first event into shadow copies of its tables that are swapped in under a lock, so reads never stop
/// (docs/adr/0005). Its tables are named through the <c>table</c> function so a rebuild can fill the copies; indexes and
/// constraints must be left unnamed so copies never clash.
/// </summary>
public interface IRebuildableProjection
{
    /// <summary>Unique name, also the key of its progress row and Marten's name for it.</summary>
    string Name { get; }

    /// <summary>Bump it to rebuild the read model from the first event.</summary>
    int Version { get; }

    /// <summary>The logical names of the tables it owns.</summary>
    IReadOnlyList<string> Tables { get; }

    /// <summary>DDL that creates its tables if missing, using <paramref name="table"/> to name each.</summary>
    string CreateTablesSql(Func<string, string> table);

    /// <summary>
    /// Applies stored events, in position order, inside <paramref name="transaction"/>, to the tables <paramref name="table"/> names
    /// (a rebuild's shadow copies). Applying an event again must change nothing.
    /// </summary>
    Task ReplayAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<StoredEvent> events, Func<string, string> table,
        CancellationToken ct);

    /// <summary>Called once a rebuild's tables went live (for caches of what the old tables answered).</summary>
    void SwappedIn()
    {
    }
}

/// <summary>A projection's progress and health.</summary>
/// <param name="Name">Projection name.</param>
/// <param name="Version">Version in code.</param>
/// <param name="StoredVersion">Version the live tables were built with.</param>
/// <param name="Lifecycle">inline or async.</param>
/// <param name="Checkpoint">Last position applied (the safe head for inline projections).</param>
/// <param name="Head">The gap-safe head of the store.</param>
/// <param name="Lag">Head minus checkpoint.</param>
/// <param name="State">running, rebuilding, rebuild_pending or faulted.</param>
/// <param name="LastError">The error that faulted it, if any.</param>
/// <param name="RebuildPosition">How far a running rebuild has replayed.</param>
/// <param name="LastUpdated">When progress was last recorded.</param>
public sealed record ProjectionStatus(
    string Name, int Version, int StoredVersion, string Lifecycle, long Checkpoint, long Head, long Lag, string State,
    string? LastError, long? RebuildPosition, DateTimeOffset LastUpdated);
