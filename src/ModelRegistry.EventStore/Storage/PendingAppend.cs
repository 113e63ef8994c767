using System.Text.Json;
using Npgsql;

namespace ModelRegistry.EventStore.Storage;

/// <summary>An event ready to append: what is written, and the payload as the caller gave it.</summary>
internal sealed record PreparedEvent(EventToWrite Write, JsonElement Json, object Data);

/// <summary>One append on its way to the database.</summary>
internal sealed record PendingAppend(
    string StreamId, string? StreamType, ExpectedVersion Expected, IReadOnlyList<PreparedEvent> Events, EventMetadata Metadata, InTransaction? InTransaction)
{
    public NpgsqlBatchCommand Statement() =>
        AppendStatement.Create(StreamId, StreamType, Expected, Events.Select(e => e.Write).ToList(), Metadata);

    /// <summary>The stored events, from the rows the statement returned (one per event, in stream order).</summary>
    public AppendResult Result(IReadOnlyList<AppendedRow> rows)
    {
        if (rows.Count != Events.Count)
        {
            throw new InvalidOperationException($"An append of {Events.Count} events to stream '{StreamId}' returned {rows.Count} rows.");
        }

        var stored = new StoredEvent[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            var (e, row) = (Events[i], rows[i]);
            stored[i] = new StoredEvent(row.Position, row.Id, StreamId, row.StreamVersion, e.Write.Type, e.Write.SchemaVersion, e.Json, e.Data,
                row.Timestamp, Metadata);
        }

        return new AppendResult(stored[^1].StreamVersion, stored, WasDuplicate: false);
    }
}
