using Npgsql;

namespace ModelRegistry.EventStore.Projections;

/// <summary>Runs the inline projections inside an append's transaction, writing the live tables.</summary>
internal sealed class InlineProjections(IEnumerable<IProjection> projections)
{
    private readonly IProjection[] _inline = projections.Where(p => p.Lifecycle == ProjectionLifecycle.Inline).ToArray();

    public bool HasAny => _inline.Length > 0;

    public async Task ApplyAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<StoredEvent> events, CancellationToken ct)
    {
        foreach (var projection in _inline)
        {
            await projection.ApplyAsync(new ProjectionBatch(conn, tx, events, static t => t, isRebuild: false), ct);
        }
    }
}
