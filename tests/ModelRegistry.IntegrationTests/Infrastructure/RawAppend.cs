using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Storage;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>Appends stored payloads with the store's own statement, on a connection and transaction the test controls.</summary>
internal static class RawAppend
{
    /// <summary>Appends one event with <paramref name="json"/> as its payload to <paramref name="stream"/> (any version); returns its position.</summary>
    public static async Task<long> ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string stream, string type, int schemaVersion, string json)
    {
        await using var batch = new NpgsqlBatch(conn, tx)
        {
            BatchCommands =
            {
                AppendStatement.Create(stream, "test", ExpectedVersion.Any, [new EventToWrite(Guid.CreateVersion7(), type, schemaVersion, json)],
                    EventMetadata.None),
            },
        };
        await using var reader = await batch.ExecuteReaderAsync();
        return (await AppendStatement.ReadAsync(reader, CancellationToken.None)).Single().Position;
    }
}
