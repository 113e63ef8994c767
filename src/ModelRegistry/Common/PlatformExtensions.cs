using System.Text;
using Marten;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ModelRegistry.Common;

internal static class PlatformExtensions
{
    public static WebApplicationBuilder AddRegistryPlatform(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Registry")
            ?? throw new InvalidOperationException("ConnectionStrings:Registry is not configured (set ConnectionStrings__Registry).");
        builder.Services.Configure<RegistryOptions>(builder.Configuration.GetSection(RegistryOptions.Section));
        // Kestrel answers a header value that is not UTF-8 with an empty 400 before any middleware could write a problem; decoded
        // leniently (U+FFFD for a bad byte), the request reaches the application, which parses every header it uses strictly.
        builder.WebHost.ConfigureKestrel(o => o.RequestHeaderEncodingSelector = _ => Encoding.UTF8);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddRegistryStore(connectionString);
        builder.AddRegistryMessaging();
        builder.Services.ConfigureMarten(o => o.Storage.ExtendedSchemaObjects.Add(IdempotencyStore.SchemaObject()));
        builder.Services.AddSingleton<IdempotencyStore>();
        builder.Services.AddRegistryMetrics();
        builder.Services.AddSingleton<HttpCommands>();
        builder.Services.AddHttpJson();
        builder.Services.AddProblems();
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddValidators(typeof(PlatformExtensions).Assembly);
        builder.Services.AddRegistryLimits(builder.Configuration);
        builder.Services.AddRegistryOpenApi();
        builder.Services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgresql", tags: ["ready"])
            .AddCheck<StorageRootHealthCheck>("storage", tags: ["ready"])
            .AddCheck<ProjectionsHealthCheck>("projections", tags: ["ready"]);
        return builder;
    }

    public static WebApplication UseRegistryPlatform(this WebApplication app)
    {
        // Observable instruments report from the moment their owner exists.
        app.Services.GetRequiredService<RegistryMetrics>();
        RequestContext.UseCorrelation(app);
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
            o.SwaggerEndpoint(OpenApi.DocumentPath, "ModelRegistry v1");
            o.RoutePrefix = "swagger";
            // The key given to Authorize survives a reload of the page.
            o.EnablePersistAuthorization();
        });
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready"),
            ResponseWriter = HealthResponse.WriteAsync,
        }).AllowAnonymous();
        return app;
    }
}
