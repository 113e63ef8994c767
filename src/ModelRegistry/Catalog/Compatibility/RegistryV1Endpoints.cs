using ModelRegistry.Access;
using FluentValidation;
using ModelRegistry.Catalog.Promoting;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Catalog.Sources;
using ModelRegistry.Common;

namespace ModelRegistry.Catalog.Compatibility;

/// <summary>The JSON-file registry's API (seed 002), unchanged for its clients, over the same deciders and events.</summary>
internal static class RegistryV1Endpoints
{
    public const string Prefix = "/api/v1/registry/models";
    public const string EntryView = "registry-v1-entry";

    public static IEndpointRouteBuilder MapRegistryV1(this IEndpointRouteBuilder app)
    {
        var registry = app.MapGroup(Prefix).WithTags("Registry v1 (seed 002)");
        registry.MapPost("", RegisterAsync).RequireRole(Role.Publisher).Validated().WithName("RegistryV1Register")
            .WithSummary("Registers a local file as a model's next (or given) version.").Produces<RegistryV1Entry>(StatusCodes.Status201Created);
        registry.MapGet("", ListAsync).WithName("RegistryV1List").WithSummary("Every version of every model (or of model_name), as registry.json listed them.");
        registry.MapModel("PUT", "{version:int}/activate", ActivateAsync).RequireRole(Role.Publisher).Validated().WithNames("RegistryV1Activate")
            .WithSummary("Puts a version in production.").Produces<RegistryV1Entry>();
        return app;
    }

    private static Task<IResult> RegisterAsync(RegistryV1RegisterRequest request, HttpContext http, HttpCommands commands, LocalSource localSource,
        IVersionDownloadQueue downloads) =>
        RegisterVersionEndpoint.RegisterAsync(http, commands, localSource, downloads, request.ModelName!,
            new RegisterVersionRequest(request.Version, new SourceRequest("local", request.Path, null, null), null, null, request.Metadata),
            "path",
            (state, version, status) => Entry(state, version, status));

    private static Task<IResult> ActivateAsync(ModelName name, int version, HttpContext http, HttpCommands commands) =>
        commands.InvokeOnExistingAsync(http, name,
            context => new PromoteVersion(name.Value, version, Stage.Production) { Context = context },
            (state, _) => Entry(state, version, StatusCodes.Status200OK));

    private static async Task<RegistryV1List> ListAsync([Microsoft.AspNetCore.Mvc.FromQuery(Name = "model_name")] string? modelName, CatalogReader reader, CancellationToken ct)
    {
        var entries = new List<RegistryV1Entry>();
        if (modelName is not null)
        {
            if (CatalogRules.IsModelName(modelName))
            {
                await AddVersionsAsync(entries, reader, modelName, ct);
            }

            return new RegistryV1List(entries);
        }

        string? after = null;
        do
        {
            var page = await reader.ListModelsAsync(new ModelQuery(Limit: ReadQuery.MaxLimit, After: after), ct);
            foreach (var model in page.Items)
            {
                await AddVersionsAsync(entries, reader, model.Name, ct);
            }

            after = page.NextCursor is null || page.Items.Count == 0 ? null : CatalogStream.StreamId(page.Items[^1].Name);
        }
        while (after is not null);

        return new RegistryV1List(entries);
    }

    private static async Task AddVersionsAsync(List<RegistryV1Entry> entries, CatalogReader reader, string name, CancellationToken ct)
    {
        var versions = new List<VersionResource>();
        int? before = null;
        while (await reader.GetVersionsAsync(name, null, ReadQuery.MaxLimit, before, ct) is { Items.Count: > 0 } page)
        {
            versions.AddRange(page.Items);
            if (page.NextCursor is null)
            {
                break;
            }

            before = page.Items[^1].Version;
        }

        entries.AddRange(versions.OrderBy(v => v.Version).Select(RegistryV1Entry.From));
    }

    private static CommandReply Entry(ModelState state, int version, int status) =>
        new(status, new ResponseView(EntryView, CatalogReplies.VersionKey(state.Name, version)),
            status == StatusCodes.Status201Created ? CatalogReplies.VersionPath(state.Name, version) : null);
}

internal sealed record RegistryV1RegisterRequest(string? ModelName, int? Version, string? Path, MetadataRequest? Metadata);

internal sealed class RegistryV1RegisterRequestValidator : AbstractValidator<RegistryV1RegisterRequest>
{
    public RegistryV1RegisterRequestValidator()
    {
        RuleFor(x => x.ModelName).ModelName();
        RuleFor(x => x.Version).GreaterThan(0);
        RuleFor(x => x.Path).NotEmpty().MaximumLength(2048);
        RuleFor(x => x.Metadata).SetValidator(new MetadataRequestValidator()!);
    }
}

/// <summary>
/// One row of the old registry.json: a version, its file and, as <c>status</c>, its stage while its file is ready, else the state of
/// its file (<c>pending</c>, <c>downloading</c>, <c>failed</c>, <c>missing</c>, <c>corrupted</c>), so no old client takes a version
/// without a usable file for one it can load.
/// </summary>
internal sealed record RegistryV1Entry(
    string ModelName,
    int Version,
    string? Path,
    string Status,
    DateTimeOffset CreationTimestamp,
    RegistryV1Metadata Metadata)
{
    public static RegistryV1Entry From(VersionResource v) =>
        new(v.Name, v.Version, v.LocalPath, v.Status == CatalogResources.Lower(ArtifactStatus.Ready) ? v.Stage : v.Status, v.CreatedAt,
            new RegistryV1Metadata(v.Metadata.Description, v.Metadata.Metrics));
}

internal sealed record RegistryV1Metadata(string? Description, IReadOnlyDictionary<string, double> Metrics);

internal sealed record RegistryV1List(IReadOnlyList<RegistryV1Entry> Models);

internal sealed class RegistryV1EntryRenderer(CatalogReader reader) : IResponseRenderer
{
    public async Task<object?> RenderAsync(string key, DateTimeOffset? asOf, CancellationToken ct)
    {
        var (name, version) = CatalogReplies.ParseVersionKey(key);
        return await reader.GetVersionAsync(name, version, asOf, ct) is { } v ? RegistryV1Entry.From(v) : null;
    }
}
