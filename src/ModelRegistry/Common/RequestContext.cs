using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using ModelRegistry.Catalog;

namespace ModelRegistry.Common;

/// <summary>
/// What every request carries into the events it causes: correlation id (from X-Correlation-Id or traceparent,
/// otherwise a new UUID v7, echoed back), causation id (the Idempotency-Key or the request id), and, for requests
/// with a body, the body itself, read once up to the configured limit so commands can fingerprint it.
/// </summary>
internal sealed class RequestContext
{
    public const string CorrelationHeader = "X-Correlation-Id";
    public const string IdempotencyHeader = "Idempotency-Key";

    private static readonly Func<ILogger, string, IDisposable?> CorrelationScope =
        LoggerMessage.DefineScope<string>("CorrelationId:{CorrelationId}");

    private RequestContext(string correlationId, string requestId, string? idempotencyKey)
    {
        CorrelationId = correlationId;
        RequestId = requestId;
        IdempotencyKey = idempotencyKey;
    }

    public string CorrelationId { get; }

    public string RequestId { get; }

    public string? IdempotencyKey { get; }

    public byte[] Body { get; private set; } = [];

    public string CausationId => IdempotencyKey ?? RequestId;

    public byte[] BodySha256() => SHA256.HashData(Body);

    public CommandContext Context(HttpContext http, string? reason = null) =>
        new(http.User.Identity?.IsAuthenticated == true ? http.User.Identity.Name : null, CorrelationId, CausationId, reason);

    public static RequestContext? Find(HttpContext http) => http.Features.Get<RequestContext>();

    public static RequestContext Get(HttpContext http) =>
        Find(http) ?? throw new InvalidOperationException("The request context middleware has not run.");

    /// <summary>
    /// Gives the request its context and opens a logging scope with its <c>CorrelationId</c> around everything after it;
    /// it comes first, so the exception handler's lines carry the id too.
    /// </summary>
    public static IApplicationBuilder UseCorrelation(IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("ModelRegistry.Requests");
        return app.Use(async (http, next) =>
        {
            var context = new RequestContext(CorrelationOf(http.Request), http.TraceIdentifier, IdempotencyKeyOf(http.Request));
            http.Features.Set(context);
            http.Response.OnStarting(() =>
            {
                http.Response.Headers[CorrelationHeader] = context.CorrelationId;
                return Task.CompletedTask;
            });

            using (CorrelationScope(logger, context.CorrelationId))
            {
                await next(http);
            }
        });
    }

    /// <summary>Reads the body of a request that has one, up to the configured limit (413 beyond it).</summary>
    public static IApplicationBuilder UseRequestContext(IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var context = Get(http);
        if (HttpMethods.IsPost(http.Request.Method) || HttpMethods.IsPut(http.Request.Method) || HttpMethods.IsPatch(http.Request.Method))
        {
            var limit = http.RequestServices.GetRequiredService<IOptions<RegistryOptions>>().Value.Http.MaxRequestBodyBytes;
            context.Body = await ReadBodyAsync(http.Request, limit, http.RequestAborted);
            http.Request.Body = new MemoryStream(context.Body, writable: false);
        }

        await next(http);
    });

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        }

        // Buffered in the request's pipe until it is complete (a chunked body is held to the limit as it arrives), then
        // copied out once: no intermediate buffers.
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.End);
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            }

            if (result.IsCompleted)
            {
                var body = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return body;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static string CorrelationOf(HttpRequest request)
    {
        if (request.Headers[CorrelationHeader].ToString() is { Length: > 0 and <= 128 } given && given.All(IsTokenChar))
        {
            return given;
        }

        // traceparent: version-traceid-parentid-flags, the trace id being 32 lowercase hex digits, not all zero.
        if (request.Headers["traceparent"].ToString().Split('-') is [{ Length: 2 }, { Length: 32 } traceId, { Length: 16 }, { Length: 2 }, ..]
            && traceId.All(char.IsAsciiHexDigitLower) && traceId.Any(c => c != '0'))
        {
            return traceId;
        }

        return Guid.CreateVersion7().ToString();
    }

    private static string? IdempotencyKeyOf(HttpRequest request) =>
        request.Headers[IdempotencyHeader].ToString() is { Length: > 0 } key ? key : null;

    public static bool IsTokenChar(char c) => c is > ' ' and < (char)0x7F;
}
