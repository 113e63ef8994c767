using ModelRegistry.Access;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ModelRegistry.Common;
using JasperFx.Events.Projections;
using Marten;
using Weasel.Postgresql;

namespace ModelRegistry.Catalog.Reading;

internal static class ReadingModule
{
    public static IServiceCollection AddCatalogReads(this IServiceCollection services)
    {
        services.AddOptions<CatalogReadOptions>().BindConfiguration(CatalogReadOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ProductionCache>();
        services.AddSingleton<ModelSignals>();
        services.AddSingleton<CatalogReader>();
        services.AddSingleton<ProductionWatch>();
        services.AddSingleton<EventNames>();
        services.AddSingleton<CatalogProjection>();
        services.AddSingleton<CatalogRebuilder>();
        services.AddSingleton<ICatalogRebuilder>(sp => sp.GetRequiredService<CatalogRebuilder>());
        services.ConfigureMarten((sp, options) =>
        {
            // Before the tables: the search index needs pg_trgm (a trusted extension: the database's owner may create it).
            options.Storage.ExtendedSchemaObjects.Add(new Extension("pg_trgm"));
            options.Storage.ExtendedSchemaObjects.Add(CatalogTables.Live.ModelsTable());
            options.Storage.ExtendedSchemaObjects.Add(CatalogTables.Live.VersionsTable());
            options.Schema.For<CatalogProjectionState>().UseOptimisticConcurrency(true);
            var rebuildBatch = sp.GetRequiredService<EventStoreOptions>().RebuildBatchSize;
            // A replay reads the next batch while the projection writes the last one (Marten reads ahead only while fewer events than
            // the hopper holds are in flight).
            options.Projections.Add(sp.GetRequiredService<CatalogProjection>(), ProjectionLifecycle.Inline, CatalogProjection.ProjectionName,
                async => (async.BatchSize, async.MaximumHopperSize) = (rebuildBatch, 2 * rebuildBatch));
        });
        services.AddHostedService<CatalogNotifications>();
        return services;
    }

    public static IEndpointRouteBuilder MapCatalogReads(this IEndpointRouteBuilder app)
    {
        var models = app.MapGroup(ModelRoutes.Prefix).WithTags("Catalog");
        models.MapGet("", ListModelsAsync).WithName("ListModels").WithQuery(ReadParameters.Models)
            .WithSummary("Lists and searches models: q (name or description), tag=k:v (repeatable), stage, status; cursor paging.");
        models.MapGet("/by-path", FindByPathAsync).WithName("FindVersionByPath")
            .WithQuery(QueryParameter.Text("path", "A file's path, absolute or relative to the storage root.") with { Required = true })
            .WithSummary("The version whose file is at a path under the storage root.");
        models.MapModel("GET", "", GetModelAsync).WithNames("GetModel")
            .WithQuery(ReadParameters.AsOf, QueryParameter.Integer("versions_limit", "How many of the newest versions to include (0 to 200)."),
                QueryParameter.Text("versions_cursor", "The versions_next_cursor of the previous answer: the versions below it."))
            .Produces<ModelResource>().Produces(StatusCodes.Status304NotModified)
            .WithSummary("A model with its newest versions (versions_limit, default 20) as it is or was at as_of; ETag is its stream version.");
        models.MapModel("GET", "versions", GetVersionsAsync).WithNames("ListVersions")
            .WithQuery(ReadParameters.AsOf, ReadParameters.Limit, ReadParameters.Cursor)
            .WithSummary("A model's versions, newest first, cursor paging.");
        models.MapModel("GET", "versions/{version:int}", GetVersionAsync).WithNames("GetVersion").WithQuery(ReadParameters.AsOf)
            .WithSummary("One version (as it was at as_of).");
        models.MapModel("GET", "production", GetProductionAsync).WithNames("GetProduction").WithQuery(ReadParameters.AsOf)
            .WithSummary("The production pointer (as it was at as_of); 404 when there is none.");
        models.MapModel("GET", "production/watch", (ModelName name, HttpContext http, ProductionWatch watch) => watch.RunAsync(http, name.Value))
            .WithNames("WatchProduction").Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .WithSummary("Server-sent events, one per production change; resumable with Last-Event-ID.");
        models.MapModel("GET", "history", GetHistoryAsync).WithNames("GetHistory").WithQuery(ReadParameters.Limit, ReadParameters.Cursor)
            .WithSummary("The model's events, oldest first, with their metadata.");
        app.MapGet("/api/v1/audit", AuditAsync).WithTags("Audit").WithName("Audit").WithQuery(ReadParameters.Audit)
            .WithSummary("Every event across models in position order: actor, type (repeatable), model, from (inclusive), to (exclusive).");
        app.MapGet("/api/v1/storage", (CatalogReader reader, CancellationToken ct) => reader.GetStorageAsync(ct))
            .WithTags("Catalog").WithName("Storage").WithSummary("Bytes on disk: total, per model, per source type.");
        return app;
    }

    private static async Task<Page<ModelSummaryResource>> ListModelsAsync(HttpRequest request, CatalogReader reader, CancellationToken ct)
    {
        var q = request.Query;
        var text = Single(q, "q");
        if (text is { Length: > 200 })
        {
            throw DomainErrors.Invalid("q", "invalid-q", "The search text is at most 200 characters.");
        }

        var tags = q["tag"].Select(t => t?.Split(':', 2) is [{ Length: > 0 } key, var value]
            ? KeyValuePair.Create(key, value)
            : throw DomainErrors.Invalid("tag", "invalid-tag", "A tag filter is key:value.")).ToList();
        return await reader.ListModelsAsync(new ModelQuery(text, tags, ReadQuery.Stage(Single(q, "stage")), ReadQuery.Status(Single(q, "status")),
            ReadQuery.Limit(Single(q, "limit")), ReadQuery.CursorText(Single(q, "cursor"), 'm')), ct);
    }

    private static async Task<VersionResource> FindByPathAsync(HttpRequest request, CatalogReader reader, IOptions<RegistryOptions> registry,
        CancellationToken ct)
    {
        var path = Single(request.Query, "path");
        return await reader.FindByPathAsync(LocalPaths.Candidates(path, registry.Value.Storage.Root), ct)
               ?? throw DomainErrors.NotFound("path-not-found", $"No version's file is at '{path}'.");
    }

    private static async Task<IResult> GetModelAsync(ModelName name, HttpContext http, CatalogReader reader, CancellationToken ct)
    {
        var asOf = AsOf(http.Request);
        var versionsLimit = Single(http.Request.Query, "versions_limit") is { } raw ? ReadQuery.Limit(raw, min: 0, field: "versions_limit") : (int?)null;
        var versionsBefore = ReadQuery.CursorNumber(Single(http.Request.Query, "versions_cursor"), 'v', "versions_cursor");
        var model = await reader.GetModelAsync(name.Value, asOf, versionsLimit, Before(versionsBefore), ct) ?? throw NotFound(name, asOf);
        var etag = $"\"{model.StreamVersion}\"";
        http.Response.Headers.ETag = etag;
        return asOf is null && http.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag))
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(model);
    }

    private static async Task<Page<VersionResource>> GetVersionsAsync(ModelName name, HttpRequest request, CatalogReader reader, CancellationToken ct)
    {
        var asOf = AsOf(request);
        var before = ReadQuery.CursorNumber(Single(request.Query, "cursor"), 'v');
        return await reader.GetVersionsAsync(name.Value, asOf, ReadQuery.Limit(Single(request.Query, "limit")), Before(before), ct)
               ?? throw NotFound(name, asOf);
    }

    private static int? Before(long? cursor) => cursor is null ? null : (int)Math.Min(cursor.Value, int.MaxValue);

    private static async Task<VersionResource> GetVersionAsync(ModelName name, int version, HttpContext http, CatalogReader reader, CancellationToken ct)
    {
        var asOf = AsOf(http.Request);
        if (await reader.GetVersionWithModelVersionAsync(name.Value, version, asOf, ct) is not { } found)
        {
            throw asOf is not null || await reader.ExistsAsync(name.Value, ct)
                ? CatalogErrors.VersionNotFound(name.Value, version)
                : CatalogErrors.ModelNotFound(name.Value);
        }

        http.Response.Headers.ETag = $"\"{found.StreamVersion}\"";
        return found.Version;
    }

    private static async Task<ProductionPointerResource> GetProductionAsync(ModelName name, HttpRequest request, CatalogReader reader, CancellationToken ct)
    {
        var asOf = AsOf(request);
        var lookup = await reader.GetProductionAsync(name.Value, asOf, ct) ?? throw NotFound(name, asOf);
        return lookup.Pointer ?? throw DomainErrors.NotFound("no-production",
            asOf is null ? $"Model '{lookup.Name}' has no version in production." : $"Model '{lookup.Name}' had no version in production then.");
    }

    private static async Task<Page<HistoryItem>> GetHistoryAsync(ModelName name, HttpRequest request, CatalogReader reader, CancellationToken ct)
    {
        var after = ReadQuery.CursorNumber(Single(request.Query, "cursor"), 'h') ?? 0;
        return await reader.GetHistoryAsync(name.Value, ReadQuery.Limit(Single(request.Query, "limit")), after, ct)
               ?? throw CatalogErrors.ModelNotFound(name.Value);
    }

    private static async Task<Page<HistoryItem>> AuditAsync(HttpRequest request, CatalogReader reader, IEnumerable<OwnedEventTypes> owned, CancellationToken ct)
    {
        var q = request.Query;
        var model = Single(q, "model");
        var types = q["type"].Where(t => !string.IsNullOrEmpty(t)).Select(t => t!).ToList();
        return await reader.GetAuditAsync(new AuditQuery(
            Single(q, "actor"),
            types,
            model is null ? null : CatalogStream.StreamId(model.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase)),
            ReadQuery.Timestamp(Single(q, "from"), "from"),
            ReadQuery.Timestamp(Single(q, "to"), "to"),
            ReadQuery.Limit(Single(q, "limit")),
            ReadQuery.CursorNumber(Single(q, "cursor"), 'a') ?? 0,
            request.HttpContext.User.IsInRole(ApiKeyStore.Lower(Role.Admin)) ? null : owned.SelectMany(o => o.Names).ToList()), ct);
    }

    private static DateTimeOffset? AsOf(HttpRequest request) => ReadQuery.Timestamp(Single(request.Query, "as_of"), "as_of");

    private static DomainException NotFound(ModelName name, DateTimeOffset? asOf) =>
        asOf is null
            ? CatalogErrors.ModelNotFound(name.Value)
            : DomainErrors.NotFound("model-not-found", $"There was no model named '{name.Value}' at {asOf.Value:O}.");

    private static string? Single(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0
            ? values.Count == 1 ? values[0] : throw DomainErrors.Invalid(name, $"invalid-{name.Replace('_', '-')}", $"Give {name} once.")
            : null;
}
