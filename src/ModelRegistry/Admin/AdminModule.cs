using ModelRegistry.Access;
using ModelRegistry.Common;
using Marten;
using Npgsql;

namespace ModelRegistry.Admin;

internal static class AdminModule
{
    public static IServiceCollection AddAdmin(this IServiceCollection services)
    {
        services.AddSingleton<LegacyImport>();
        services.AddSingleton<ProjectionAdmin>();
        services.AddHostedService<LegacyImportOnStart>();
        services.AddHostedService<ProjectionVersionCheck>();
        return services;
    }

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin").WithTags("Admin");
        admin.MapGet("/projections", async (ProjectionAdmin projections, CancellationToken ct) =>
            TypedResults.Ok((await projections.GetStatusAsync(ct)).Select(ProjectionStatusResponse.From)))
            .WithName("ListProjections").WithSummary("Each projection's checkpoint, lag and state.");
        admin.MapPost("/projections/{name}/rebuild", async Task<IResult> (string name, ProjectionAdmin projections, CancellationToken ct) =>
            await projections.RequestRebuildAsync(name, ct)
                ? TypedResults.Accepted("/api/v1/admin/projections", new { name, state = "rebuild_pending" })
                : throw DomainErrors.NotFound("projection-not-found", $"No projection is named '{name}'."))
            .RequireRole(Role.Admin).WithName("RebuildProjection").WithSummary("Rebuilds a projection from the events, in the background.");
        return app;
    }
}

internal sealed record ProjectionStatusResponse(
    string Name, int Version, int StoredVersion, string Lifecycle, long Checkpoint, long Head, long Lag, string State, string? LastError, long? RebuildPosition)
{
    public static ProjectionStatusResponse From(ProjectionStatus s) =>
        new(s.Name, s.Version, s.StoredVersion, s.Lifecycle, s.Checkpoint, s.Head, s.Lag, s.State, s.LastError, s.RebuildPosition);
}

/// <summary>A database written by the previous version is imported into Marten's store before the app serves it.</summary>
internal sealed partial class LegacyImportOnStart(LegacyImport import, NpgsqlDataSource dataSource, IDocumentStore store, ILogger<LegacyImportOnStart> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var result = await import.ImportAsync(dataSource, store, cancellationToken);
        if (result.Outcome == LegacyImportOutcome.Imported)
        {
            Imported(logger, result.Streams, result.Events, result.LastPosition);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Imported the previous version's event store: {Streams} streams, {Events} events, up to position {Position}.")]
    private static partial void Imported(ILogger logger, int streams, long events, long position);
}
