using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace ModelRegistry.Common;

/// <summary>
/// Mutations are rate limited per key (a token bucket: <c>Registry:Limits:MutationsPerSecond</c> refilled each second,
/// <c>Registry:Limits:MutationBurst</c> at most) and answer 429 with <c>Retry-After</c> beyond it; reads are not limited.
/// Every response carries headers that keep browsers from sniffing, framing or leaking it.
/// </summary>
internal static class Limits
{
    public static IServiceCollection AddRegistryLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("Registry:Limits").Get<LimitOptions>() ?? new LimitOptions();
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method)
                    ? RateLimitPartition.GetNoLimiter("")
                    : RateLimitPartition.GetTokenBucketLimiter(http.User.Identity?.Name ?? "", _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = Math.Max(1, options.MutationBurst),
                        TokensPerPeriod = Math.Max(1, options.MutationsPerSecond),
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            limiter.OnRejected = async (context, ct) =>
            {
                var response = context.HttpContext.Response;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails = Problems.Create(429, "rate-limited",
                        $"This key sent more changes than it may ({options.MutationsPerSecond} a second); retry after {retryAfter} s."),
                });
            };
        });
        return services;
    }

    public static WebApplication UseRegistryLimits(this WebApplication app)
    {
        // Set as the response starts, so an error page that cleared the headers gets them too.
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                var headers = http.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Resource-Policy"] = "same-origin";
                if (IsUi(http.Request.Path))
                {
                    // The web UI runs its own modules and styles and calls this API; nothing from elsewhere.
                    headers.ContentSecurityPolicy = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
                }
                else if (!http.Request.Path.StartsWithSegments("/swagger"))
                {
                    headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
                }

                return Task.CompletedTask;
            });
            return next(http);
        });
        return app;
    }

    private static bool IsUi(PathString path) => path == "/" || path.StartsWithSegments("/ui");

    private sealed class LimitOptions
    {
        public int MutationsPerSecond { get; set; } = 50;

        public int MutationBurst { get; set; } = 200;
    }
}
