using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ModelRegistry.EventStore;
using Npgsql;

namespace ModelRegistry.Common;

internal static class PlatformExtensions
{
    public static WebApplicationBuilder AddRegistryPlatform(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Registry")
            ?? throw new InvalidOperationException("ConnectionStrings:Registry is not configured (set ConnectionStrings__Registry).");
        builder.Services.Configure<RegistryOptions>(builder.Configuration.GetSection(RegistryOptions.Section));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddEventStore(connectionString, EventTypes.Register,
            o => builder.Configuration.GetSection("Registry:EventStore").Bind(o));
        builder.Services.AddMigration(IdempotencyStore.Migration);
        builder.Services.AddSingleton<IdempotencyStore>();
        builder.Services.AddSingleton<HttpCommands>();
        builder.Services.AddHttpJson();
        builder.Services.AddProblems();
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddValidators(typeof(PlatformExtensions).Assembly);
        builder.Services.AddRegistryLimits(builder.Configuration);
        builder.Services.AddOpenApi();
        builder.Services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgresql", tags: ["ready"])
            .AddCheck<StorageRootHealthCheck>("storage", tags: ["ready"]);
        return builder;
    }

    public static WebApplication UseRegistryPlatform(this WebApplication app)
    {
        app.UseRegistryLimits();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        RequestContext.UseRequestContext(app);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapOpenApi().AllowAnonymous();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/openapi/v1.json", "ModelRegistry v1");
            o.RoutePrefix = "swagger";
        });
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        return app;
    }
}

internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand("SELECT 1 FROM mr_schema_migrations LIMIT 1");
            await cmd.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable or not migrated.");
        }
    }
}

internal sealed class StorageRootHealthCheck(IOptions<RegistryOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var root = Directory.CreateDirectory(Path.GetFullPath(options.Value.Storage.Root));
            var probe = Path.Combine(root.FullName, $".health-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return Task.FromResult(HealthCheckResult.Healthy());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The storage root is not writable."));
        }
    }
}
