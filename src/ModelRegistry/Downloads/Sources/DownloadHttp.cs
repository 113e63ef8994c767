using ModelRegistry.Common;

namespace ModelRegistry.Downloads.Sources;

/// <summary>
/// The one HttpClient downloads use: every connection goes through <see cref="EgressPolicy.ConnectAsync"/>, redirects are
/// followed by hand (so each hop is checked and credentials stay with their host), bodies arrive as sent (no
/// decompression, which would defeat both the size limit and the hash) and no proxy can route around the policy.
/// </summary>
internal static class DownloadHttp
{
    public static HttpClient Create(EgressPolicy policy, DownloadsOptions options)
    {
        var client = new HttpClient(Egress.Handler(policy.ConnectAsync, options.ConnectTimeout)) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd("ModelRegistry/1.0");
        return client;
    }

    /// <summary>What a failed connection reports, whatever failed (refused, reset, timed out, TLS), so no port tells its state.</summary>
    public const string Unreachable = "The source could not be reached.";

    /// <summary>
    /// Sends a request and answers its response headers. A connection the policy refused is a refusal; any other failure
    /// to get an answer is a transient <see cref="HttpRequestException"/> with the one neutral message, the cause kept
    /// inside for the log.
    /// </summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException ex) when (Refusal(ex) is { } refused)
        {
            throw new DownloadRefusedException(refused.Code, refused.Message);
        }
        catch (Exception ex) when (IsNetworkFailure(ex, ct))
        {
            throw new HttpRequestException(Unreachable, ex);
        }
    }

    /// <summary>A failure of the network rather than of the registry: not a cancellation the caller asked for.</summary>
    public static bool IsNetworkFailure(Exception ex, CancellationToken ct) =>
        !ct.IsCancellationRequested && ex is IOException or HttpRequestException or OperationCanceledException;

    /// <summary>The refusal behind a failed request, when the policy refused the connection.</summary>
    public static DownloadRefusedException? Refusal(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is DownloadRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    /// <summary>A status a retry may mend is a transient failure; any other non-success status is a refusal.</summary>
    public static Exception Failure(HttpResponseMessage response, Uri url)
    {
        var status = (int)response.StatusCode;
        var what = $"{url.Host} answered {status} {response.ReasonPhrase} for {url.AbsolutePath}";
        return status is 408 or 425 or 429 or >= 500
            ? new HttpRequestException(what, null, response.StatusCode)
            : new DownloadRefusedException($"http-{status}", what);
    }
}
