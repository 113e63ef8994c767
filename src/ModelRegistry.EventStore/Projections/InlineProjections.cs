using Npgsql;

namespace ModelRegistry.EventStore.Projections;

/// <summary>Runs the inline projections inside an append's transaction, writing the live tables.</summary>
internal sealed class InlineProjections(IEnumerable<IProjection> projections)
{
    private readonly IProjection[] _inline = projections.Where(p => p.Lifecycle == ProjectionLifecycle.Inline).ToArray();

    public bool HasAny => _inline.Length > 0;

    /// <summary>Applies the events; writes a projection deferred are added to <paramref name="deferred"/>, for the commit.</summary>
    public async Task ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<StoredEvent> events, DeferredWork deferred,
        CancellationToken ct)
    {
        foreach (var projection in _inline)
        {
            await projection.ApplyAsync(new ProjectionBatch(conn, tx, events, static t => t, isRebuild: false, deferred, isInline: true), ct);
        }
    }
}
