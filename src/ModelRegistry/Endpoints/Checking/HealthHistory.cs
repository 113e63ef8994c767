using Marten;
using Weasel.Postgresql.Tables;

namespace ModelRegistry.Endpoints.Checking;

/// <summary>Every check of an endpoint, newest first, bounded per endpoint (<c>Registry:Endpoints:HealthHistory</c>).</summary>
internal static class HealthHistory
{
    public const string Table = "public.mr_endpoint_health";

    public static Table SchemaObject()
    {
        var table = new Table(Table) { PrimaryKeyName = "mr_endpoint_health_pkey" };
        table.AddColumn("endpoint_id", "text").AsPrimaryKey();
        table.AddColumn("checked_at", "timestamptz").AsPrimaryKey();
        table.AddColumn("status", "text").NotNull();
        table.AddColumn("response_time_ms", "integer");
        table.AddColumn("error", "text");
        table.AddColumn("models_count", "integer");
        table.AddColumn("trigger", "text").NotNull();
        return table;
    }

    public static string Name(HealthStatus status) => status switch
    {
        HealthStatus.Healthy => "healthy",
        HealthStatus.Unhealthy => "unhealthy",
        _ => "unknown",
    };

    public static HealthStatus Parse(string? status) => status switch
    {
        "healthy" => HealthStatus.Healthy,
        "unhealthy" => HealthStatus.Unhealthy,
        _ => HealthStatus.Unknown,
    };

    public static void Add(IDocumentSession session, string endpointId, DateTimeOffset checkedAt, ProbeResult result, CheckTrigger trigger, int keep)
    {
        session.QueueSqlCommand(
            $"INSERT INTO {Table} (endpoint_id, checked_at, status, response_time_ms, error, models_count, trigger) VALUES (?, ?, ?, ?, ?, ?, ?) " +
            "ON CONFLICT DO NOTHING",
            endpointId, checkedAt, Name(result.Status), result.ResponseTimeMs, (object?)result.Error ?? DBNull.Value,
            (object?)result.Models?.Count ?? DBNull.Value, trigger == CheckTrigger.Manual ? "manual" : "scheduled");
        session.QueueSqlCommand(
            $"DELETE FROM {Table} WHERE endpoint_id = ? AND checked_at < (SELECT checked_at FROM {Table} WHERE endpoint_id = ? " +
            "ORDER BY checked_at DESC OFFSET ? LIMIT 1)",
            endpointId, endpointId, Math.Max(keep - 1, 0));
    }
}
