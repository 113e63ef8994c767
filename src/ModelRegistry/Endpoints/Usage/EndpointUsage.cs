using ModelRegistry.Common;
using Npgsql;
using Weasel.Postgresql.Tables;

namespace ModelRegistry.Endpoints.Usage;

/// <summary>One use of an endpoint, as a gateway or client reports it.</summary>
internal sealed record UsageRecord(string Model, long? Tokens, int? LatencyMs);

internal sealed record ModelUsage(string Model, long Uses, long Tokens, double? AverageLatencyMs, DateTimeOffset LastUsedAt);

internal sealed record DailyUsage(DateOnly Day, long Uses, long Tokens);

internal sealed record UsageSummary(long TotalUses, long TotalTokens, DateTimeOffset? LastUsedAt, IReadOnlyList<ModelUsage> Models, IReadOnlyList<DailyUsage> Daily);

/// <summary>
/// Usage per endpoint, model and UTC day, as counters: a use is an upsert of one row, not an event — it changes no decision and
/// comes far more often than anything an audit is for.
/// </summary>
internal sealed class EndpointUsage(NpgsqlDataSource dataSource)
{
    public const string Table = "public.mr_endpoint_usage";

    public static Table SchemaObject()
    {
        var table = new Table(Table) { PrimaryKeyName = "mr_endpoint_usage_pkey" };
        table.AddColumn("endpoint_id", "text").AsPrimaryKey();
        table.AddColumn("day", "date").AsPrimaryKey();
        table.AddColumn("model", "text").AsPrimaryKey();
        table.AddColumn("uses", "bigint").NotNull();
        table.AddColumn("tokens", "bigint").NotNull();
        table.AddColumn("latency_ms_total", "bigint").NotNull();
        table.AddColumn("latency_count", "bigint").NotNull();
        table.AddColumn("last_used_at", "timestamptz").NotNull();
        return table;
    }

    public async Task RecordAsync(string endpointId, UsageRecord use, DateTimeOffset at, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            $"INSERT INTO {Table} AS u (endpoint_id, day, model, uses, tokens, latency_ms_total, latency_count, last_used_at) " +
            "VALUES ($1, ($2 AT TIME ZONE 'UTC')::date, $3, 1, $4, $5, $6, $2) ON CONFLICT (endpoint_id, day, model) DO UPDATE SET " +
            "uses = u.uses + 1, tokens = u.tokens + excluded.tokens, latency_ms_total = u.latency_ms_total + excluded.latency_ms_total, " +
            "latency_count = u.latency_count + excluded.latency_count, last_used_at = greatest(u.last_used_at, excluded.last_used_at)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = endpointId });
        cmd.Parameters.Add(new NpgsqlParameter { Value = at });
        cmd.Parameters.Add(new NpgsqlParameter { Value = use.Model });
        cmd.Parameters.Add(new NpgsqlParameter { Value = use.Tokens ?? 0 });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (long)(use.LatencyMs ?? 0) });
        cmd.Parameters.Add(new NpgsqlParameter { Value = use.LatencyMs is null ? 0L : 1L });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The last use of each endpoint of <paramref name="endpointIds"/> that has one.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> LastUsedAsync(IReadOnlyCollection<string> endpointIds, CancellationToken ct)
    {
        var last = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        if (endpointIds.Count == 0)
        {
            return last;
        }

        await using var cmd = dataSource.CreateCommand($"SELECT endpoint_id, max(last_used_at) FROM {Table} WHERE endpoint_id = ANY($1) GROUP BY endpoint_id");
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = endpointIds.ToArray() });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            last[reader.GetString(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }

        return last;
    }

    /// <summary>Counts per model, and per day over the last <paramref name="days"/> days (days without use left out).</summary>
    public async Task<UsageSummary> SummaryAsync(string endpointId, int days, DateTimeOffset now, CancellationToken ct)
    {
        var models = new List<ModelUsage>();
        var daily = new List<DailyUsage>();
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(SqlBatch.Command(
            $"SELECT model, sum(uses)::bigint, sum(tokens)::bigint, sum(latency_ms_total)::float8 / nullif(sum(latency_count), 0), max(last_used_at) FROM {Table} " +
            "WHERE endpoint_id = $1 GROUP BY model ORDER BY sum(uses) DESC, model", endpointId));
        batch.BatchCommands.Add(SqlBatch.Command(
            $"SELECT day, sum(uses)::bigint, sum(tokens)::bigint FROM {Table} WHERE endpoint_id = $1 AND day > ($2 AT TIME ZONE 'UTC')::date - $3 " +
            "GROUP BY day ORDER BY day", endpointId, now, days));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            models.Add(new ModelUsage(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2),
                reader.IsDBNull(3) ? null : Math.Round(reader.GetDouble(3), 1), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            daily.Add(new DailyUsage(reader.GetFieldValue<DateOnly>(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return new UsageSummary(models.Sum(m => m.Uses), models.Sum(m => m.Tokens), models.Count == 0 ? null : models.Max(m => m.LastUsedAt), models, daily);
    }
}
