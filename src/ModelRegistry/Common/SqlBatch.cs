using Npgsql;

namespace ModelRegistry.Common;

internal static class SqlBatch
{
    /// <summary>A statement of a batch with its positional parameters (<c>$1</c>, <c>$2</c>…), typed by their values.</summary>
    public static NpgsqlBatchCommand Command(string sql, params ReadOnlySpan<object> values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
