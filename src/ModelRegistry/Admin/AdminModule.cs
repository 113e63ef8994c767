using ModelRegistry.Access;
using ModelRegistry.Common;
using ModelRegistry.EventStore.Projections;

namespace ModelRegistry.Admin;

internal static class AdminModule
{
    public static IServiceCollection AddAdmin(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin").WithTags("Admin");
        admin.MapGet("/projections", async (IProjectionAdmin projections, CancellationToken ct) =>
            TypedResults.Ok((await projections.GetStatusAsync(ct)).Select(ProjectionStatusResponse.From)))
            .WithName("ListProjections").WithSummary("Each projection's checkpoint, lag and state.");
        admin.MapPost("/projections/{name}/rebuild", async Task<IResult> (string name, IProjectionAdmin projections, CancellationToken ct) =>
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
