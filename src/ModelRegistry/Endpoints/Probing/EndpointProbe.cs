using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using ModelRegistry.Common;

namespace ModelRegistry.Endpoints.Probing;

/// <summary>
/// One check of a serving endpoint: asks it for its models and tells whether it answered well. Whatever the endpoint does
/// (refuses, stalls, redirects elsewhere, sends an endless or malformed body) ends as an unhealthy result with a short
/// message of our own; the endpoint's words and the API key never reach it. Only the caller's cancellation throws.
/// </summary>
/// <remarks>
/// The whole check (connection, headers, body, redirects) has <see cref="EndpointsOptions.Timeout"/>; the body is read up
/// to <see cref="EndpointsOptions.MaxResponseBytes"/> whatever its declared length. Up to <see cref="MaxRedirects"/>
/// redirects are followed to the same scheme, host and port, so the API key stays with the endpoint it was given for.
/// </remarks>
public sealed class EndpointProbe : IDisposable
{
    public const int MaxRedirects = 3;
    public const int MaxErrorLength = 200;

    private readonly HttpClient _client;
    private readonly EndpointsOptions _options;

    public EndpointProbe(EndpointEgress egress, EndpointsOptions options)
    {
        _options = options;
        var handler = Egress.Handler(egress.ConnectAsync, options.Timeout > TimeSpan.Zero ? options.Timeout : Timeout.InfiniteTimeSpan);
        // A response abandoned part way is not worth draining for the connection's sake.
        handler.MaxResponseDrainSize = 64 * 1024;
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("ModelRegistry/1.0");
        _client.DefaultRequestHeaders.Accept.ParseAdd("application/json");
    }

    /// <param name="apiKey">Sent as a bearer token, whatever the type, when given: a key is given because the endpoint wants one.</param>
    /// <param name="modelsPath">For <see cref="EndpointType.Custom"/>: the path after the base URL's, <c>/v1/models</c> when null.</param>
    public async Task<ProbeResult> ProbeAsync(EndpointType type, Uri baseUrl, string? apiKey, string? modelsPath, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(_options.Timeout);
        IReadOnlyList<DiscoveredModel>? models = null;
        string? error;
        try
        {
            (models, error) = await ListAsync(type, ModelsUrl(type, baseUrl, modelsPath), apiKey, deadline.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or SocketException
                                       or EndpointAddressRefusedException)
        {
            ct.ThrowIfCancellationRequested();
            error = deadline.IsCancellationRequested ? $"timed out after {Duration(_options.Timeout)}" : Describe(ex);
        }

        var elapsed = (int)Math.Min(int.MaxValue, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return error is null
            ? new ProbeResult(HealthStatus.Healthy, elapsed, null, models)
            : new ProbeResult(HealthStatus.Unhealthy, elapsed, error.Length <= MaxErrorLength ? error : error[..MaxErrorLength], null);
    }

    /// <summary>
    /// Where the models are listed. A base URL is a server's root or an API root: an OpenAI-compatible one given as
    /// <c>…/v1</c> is asked for <c>…/v1/models</c>, not <c>…/v1/v1/models</c>. A custom path is a path only, escaped,
    /// so it can change neither the host nor the query.
    /// </summary>
    public static Uri ModelsUrl(EndpointType type, Uri baseUrl, string? modelsPath)
    {
        var root = baseUrl.AbsolutePath.TrimEnd('/');
        var path = type switch
        {
            EndpointType.Ollama => "/api/tags",
            EndpointType.Custom when !string.IsNullOrEmpty(modelsPath) => "/" + modelsPath.TrimStart('/'),
            _ => root.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? "/models" : "/v1/models",
        };
        return new UriBuilder(baseUrl) { UserName = "", Password = "", Path = root + path, Query = "", Fragment = "" }.Uri;
    }

    public void Dispose() => _client.Dispose();

    private async Task<(IReadOnlyList<DiscoveredModel>? Models, string? Error)> ListAsync(EndpointType type, Uri first, string? apiKey,
        CancellationToken ct)
    {
        if (apiKey is not null && !apiKey.All(c => c is > ' ' and < '\x7f'))
        {
            return (null, "the API key is not a valid header value");
        }

        var url = first;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (apiKey is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
            }

            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308)
            {
                if (response.Headers.Location is not { } location)
                {
                    return (null, $"answered {status} without a Location");
                }

                var next = location.IsAbsoluteUri ? location : new Uri(url, location);
                if (!SameOrigin(next, first) || next.UserInfo.Length > 0)
                {
                    return (null, "redirect to another host refused");
                }

                if (hop == MaxRedirects)
                {
                    return (null, $"more than {MaxRedirects} redirects");
                }

                url = next;
                continue;
            }

            if (status is < 200 or > 299)
            {
                return (null, $"answered {status} {ReasonPhrases.GetReasonPhrase(status)}".TrimEnd());
            }

            if (await ReadBoundedAsync(response.Content, ct) is not { } body)
            {
                return (null, $"response larger than {Size(_options.MaxResponseBytes)}");
            }

            return ModelListing.Parse(type, body) is { } models ? (models, null) : (null, "malformed body");
        }
    }

    /// <summary>The body, or null once it passes the limit: a declared length is believed only when it is already too much.</summary>
    private async Task<ReadOnlyMemory<byte>?> ReadBoundedAsync(HttpContent content, CancellationToken ct)
    {
        var limit = Math.Min(_options.MaxResponseBytes, Array.MaxLength);
        if (content.Headers.ContentLength > limit)
        {
            return null;
        }

        await using var body = await content.ReadAsStreamAsync(ct);
        using var kept = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, ct)) > 0)
            {
                if (kept.Length + read > limit)
                {
                    return null;
                }

                kept.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return kept.GetBuffer().AsMemory(0, (int)kept.Length);
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary>What went wrong, in words of our own: exception messages may carry what the endpoint sent.</summary>
    private static string Describe(Exception exception)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case EndpointAddressRefusedException:
                    return $"address not allowed by {EndpointsOptions.Section}:AllowedHosts";
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return "connection refused";
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain }:
                    return "host not found";
                case SocketException { SocketErrorCode: SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TimedOut }:
                    return "host unreachable";
                case AuthenticationException:
                    return "TLS handshake failed";
            }
        }

        return exception is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse }
            ? "invalid HTTP response"
            : "connection failed";
    }

    private static string Duration(TimeSpan time) =>
        time.TotalMilliseconds % 1000 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds} s")
            : string.Create(CultureInfo.InvariantCulture, $"{time.TotalMilliseconds} ms");

    private static string Size(long bytes) => bytes switch
    {
        >= 1 << 20 when bytes % (1 << 20) == 0 => string.Create(CultureInfo.InvariantCulture, $"{bytes >> 20} MiB"),
        >= 1 << 10 when bytes % (1 << 10) == 0 => string.Create(CultureInfo.InvariantCulture, $"{bytes >> 10} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };
}
