using ModelRegistry.Access;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ModelRegistry.Catalog.Archiving;
using ModelRegistry.Catalog.Compatibility;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Catalog.Integrity;
using ModelRegistry.Catalog.Locking;
using ModelRegistry.Catalog.Promoting;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Catalog.Sources;
using ModelRegistry.Catalog.Updating;
using ModelRegistry.Common;
using Wolverine;
using JasperFx.Events;

namespace ModelRegistry.Catalog;

internal static class CatalogModule
{
    public static IServiceCollection AddCatalog(this IServiceCollection services)
    {
        services.AddCatalogReads();
        services.AddSingleton<LocalSource>();
        services.AddSingleton<IntegrityChecker>();
        services.AddSingleton<IPeriodicIntegrityCheck, PeriodicIntegrityCheck>();
        services.TryAddSingleton<IVersionDownloadQueue, NoVersionDownloadQueue>();
        services.TryAddSingleton<IDownloadCompletion, NoDownloadCompletion>();
        services.AddKeyedSingleton<IResponseRenderer, ModelRenderer>(CatalogReplies.ModelView);
        services.AddKeyedSingleton<IResponseRenderer, VersionRenderer>(CatalogReplies.VersionView);
        services.AddKeyedSingleton<IResponseRenderer, RegistryV1EntryRenderer>(RegistryV1Endpoints.EntryView);
        return services;
    }

    /// <summary>
    /// The catalog's command handlers and their retry of lost races, its rebuilds, and the periodic integrity check every
    /// <c>Registry:Integrity:Interval</c> (<see cref="PeriodicSchedules"/>).
    /// </summary>
    public static void ConfigureMessaging(WolverineOptions opts, IConfiguration configuration)
    {
        ModelCommands.ConfigureMessaging(opts);
        opts.Discovery.IncludeType(typeof(RunIntegrityCheckHandler));
        var interval = (configuration.GetSection(RegistryOptions.Section).Get<RegistryOptions>() ?? new RegistryOptions()).Integrity.Interval;
        opts.SchedulePeriodic(PeriodicIntegrityCheck.Schedule, "Registry:Integrity:Interval", interval, occurrence => new RunIntegrityCheck(occurrence));
    }

    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder app)
    {
        app.MapCatalogReads();

        var commands = app.MapGroup(ModelRoutes.Prefix).WithTags("Catalog").RequireRole(Role.Publisher).Validated();
        commands.MapRegisterModel();
        commands.MapUpdateModel();
        commands.MapRegisterVersion();
        commands.MapPromoteVersion();
        commands.MapDemoteVersion();
        commands.MapRollback();
        commands.MapArchiveVersion();
        commands.MapRestoreVersion();
        commands.MapLockModel();
        commands.MapUnlockModel();
        commands.MapVerifyVersion();

        app.MapCheckIntegrity();
        app.MapRegistryV1();
        return app;
    }
}

/// <summary>Commands on a model's stream over HTTP, and what they answer.</summary>
internal static class CatalogReplies
{
    public const string ModelView = "model";
    public const string VersionView = "version";

    /// <summary>For commands on a model that must exist already: a name no model can have is simply not found.</summary>
    public static Task<IResult> InvokeOnExistingAsync(
        this HttpCommands commands,
        HttpContext http,
        ModelName name,
        Func<CommandContext, IModelCommand> command,
        Func<ModelState, IReadOnlyList<object>, CommandReply> reply,
        string? reason = null) =>
        CatalogRules.IsModelName(name.Value)
            ? commands.InvokeAsync(http, command, reply, reason)
            : throw CatalogErrors.ModelNotFound(name.Value);

    /// <summary><c>POST …/versions/{v}/{verb}</c> with an optional <c>{reason}</c>, answering the version.</summary>
    public static ModelEndpoints MapVersionCommand(this IEndpointRouteBuilder models, string verb,
        Func<string, int, CommandContext, IModelCommand> command) =>
        models.MapModel("POST", $"versions/{{version:int}}/{verb}",
            (ModelName name, int version, ReasonBody? body, HttpContext http, HttpCommands commands) =>
                commands.InvokeOnExistingAsync(http, name,
                    context => command(name.Value, version, context),
                    (state, _) => Version(state, version),
                    body?.Reason))
            .Produces<VersionResource>();

    public static CommandReply Model(ModelState state, int status = StatusCodes.Status200OK) =>
        new(status, new ResponseView(ModelView, state.Name), status == StatusCodes.Status201Created ? ModelRoutes.PathOf(state.Name) : null);

    public static CommandReply Version(ModelState state, int version, int status = StatusCodes.Status200OK) =>
        new(status, new ResponseView(VersionView, VersionKey(state.Name, version)),
            status is StatusCodes.Status201Created or StatusCodes.Status202Accepted ? VersionPath(state.Name, version) : null);

    public static string VersionPath(string name, int version) =>
        ModelRoutes.PathOf(name, "versions/" + version.ToString(CultureInfo.InvariantCulture));

    public static string VersionKey(string name, int version) => $"{name}@{version.ToString(CultureInfo.InvariantCulture)}";

    public static (string Name, int Version) ParseVersionKey(string key)
    {
        var at = key.LastIndexOf('@');
        return (key[..at], int.Parse(key.AsSpan(at + 1), CultureInfo.InvariantCulture));
    }
}

internal sealed class ModelRenderer(CatalogReader reader) : IResponseRenderer
{
    public async Task<object?> RenderAsync(string key, DateTimeOffset? asOf, CancellationToken ct) =>
        await reader.GetModelAsync(key, asOf, ct);
}

internal sealed class VersionRenderer(CatalogReader reader) : IResponseRenderer
{
    public async Task<object?> RenderAsync(string key, DateTimeOffset? asOf, CancellationToken ct)
    {
        var (name, version) = CatalogReplies.ParseVersionKey(key);
        return await reader.GetVersionAsync(name, version, asOf, ct);
    }

    // A version registered by this very append is the row its VersionRegistered event makes, unless a later event of the
    // same append changed it again.
    public object? RenderAppended(string key, IReadOnlyList<IEvent> appended)
    {
        var (name, version) = CatalogReplies.ParseVersionKey(key);
        var changes = appended.Select(CatalogChanges.Of).OfType<RowChange>()
            .Where(c => c.NewVersion?.Version == version || c.Version?.Version == version).ToList();
        return changes is [{ NewVersion: { } row }] ? CatalogResources.Version(name, row) : null;
    }
}
