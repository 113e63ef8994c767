using Microsoft.AspNetCore.Http.Features;

namespace ModelRegistry.Common;

/// <summary>What every server-sent event stream of the API does before its first event.</summary>
internal static class ServerSentEvents
{
    /// <summary>
    /// Marks the response as an unbuffered, uncached event stream; the returned token ends when the client goes away
    /// or the host stops, whichever comes first.
    /// </summary>
    public static CancellationTokenSource Start(HttpContext http, IHostApplicationLifetime lifetime)
    {
        var response = http.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
    }
}
