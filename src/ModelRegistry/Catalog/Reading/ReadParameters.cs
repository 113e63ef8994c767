using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Reading;

/// <summary>The query parameters of the read routes, as the OpenAPI document declares them (<see cref="ReadQuery"/> parses them).</summary>
internal static class ReadParameters
{
    public static readonly QueryParameter AsOf = QueryParameter.Timestamp("as_of", "An RFC 3339 timestamp: the state as it was then.");

    public static readonly QueryParameter Limit = QueryParameter.Integer("limit", $"Items per page, {ReadQuery.DefaultLimit} unless given, at most {ReadQuery.MaxLimit}.");

    public static readonly QueryParameter Cursor = QueryParameter.Text("cursor", "The next_cursor of the previous page.");

    public static readonly QueryParameter[] Models =
    [
        QueryParameter.Text("q", "Text in the name or description (at most 200 characters)."),
        QueryParameter.Repeated("tag", "key:value; repeat it for models that carry every tag given."),
        QueryParameter.Text("stage", "Models with a version in this stage: staging, production, archived."),
        QueryParameter.Text("status", "Models with a version whose file has this status."),
        Limit,
        Cursor,
    ];

    public static readonly QueryParameter[] Audit =
    [
        QueryParameter.Text("actor", "Events recorded for this actor (a key's name)."),
        QueryParameter.Repeated("type", "Event types, e.g. VersionPromoted; repeat it for several."),
        QueryParameter.Text("model", "One model's events."),
        QueryParameter.Timestamp("from", "Events at or after this RFC 3339 timestamp."),
        QueryParameter.Timestamp("to", "Events before this RFC 3339 timestamp."),
        Limit,
        Cursor,
    ];
}
