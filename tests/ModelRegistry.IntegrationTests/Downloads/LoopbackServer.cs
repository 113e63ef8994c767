using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ModelRegistry.IntegrationTests.Downloads;

/// <summary>A request as the loopback server saw it.</summary>
internal sealed record SeenRequest(string Host, string Path, string? Range, string? IfRange, string? Authorization);

/// <summary>
/// A Kestrel server on 127.0.0.1 that tests give routes to: files served with ETag and Range (optionally dropping the
/// connection or stalling part way), lies about length, redirects and a hub-like resolve endpoint. It records every request.
/// </summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private const int Chunk = 64 * 1024;
    private readonly ConcurrentDictionary<string, RequestDelegate> _routes = new();
    private WebApplication _app = null!;

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public int Port { get; private set; }

    public static async Task<LoopbackServer> StartAsync()
    {
        var server = new LoopbackServer();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        server._app = builder.Build();
        server._app.Run(server.HandleAsync);
        await server._app.StartAsync();
        server.Port = new Uri(server._app.Urls.First()).Port;
        return server;
    }

    public string Url(string path, string host = "127.0.0.1") => $"http://{host}:{Port}{path}";

    public IReadOnlyList<SeenRequest> RequestsTo(string path) => Requests.Where(r => r.Path == path).ToList();

    public void Map(string path, RequestDelegate handler) => _routes[path] = handler;

    /// <summary>Serves <paramref name="content"/> with Range and If-Range; the first <paramref name="faultyResponses"/> responses break after <paramref name="breakAfter"/> bytes.</summary>
    public void MapFile(string path, byte[] content, string etag = "\"v1\"", long? breakAfter = null, int faultyResponses = 1, bool stall = false)
    {
        var served = 0;
        Map(path, http =>
        {
            var faulty = Interlocked.Increment(ref served) <= faultyResponses ? breakAfter : null;
            return ServeAsync(http, content, etag, faulty, stall);
        });
    }

    public void MapRedirect(string path, string location, int status = 302, params (string Name, string Value)[] headers) =>
        Map(path, http =>
        {
            http.Response.StatusCode = status;
            http.Response.Headers.Location = location;
            foreach (var (name, value) in headers)
            {
                http.Response.Headers[name] = value;
            }

            return Task.CompletedTask;
        });

    public static async Task ServeAsync(HttpContext http, byte[] content, string etag, long? breakAfter = null, bool stall = false)
    {
        var response = http.Response;
        response.Headers.ETag = etag;
        response.Headers.AcceptRanges = "bytes";
        long from = 0;
        var range = http.Request.Headers.Range.ToString();
        var ifRange = http.Request.Headers.IfRange.ToString();
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-') && (ifRange.Length == 0 || ifRange == etag))
        {
            from = long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (from >= content.Length)
            {
                response.StatusCode = 416;
                response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }

            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {from}-{content.Length - 1}/{content.Length}";
        }

        response.ContentLength = content.Length - from;
        await WriteAsync(http, content.AsMemory((int)from), breakAfter, stall);
    }

    /// <summary>Writes the body in chunks; after <paramref name="breakAfter"/> bytes it drops the connection, or stalls until the client gives up.</summary>
    public static async Task WriteAsync(HttpContext http, ReadOnlyMemory<byte> body, long? breakAfter = null, bool stall = false)
    {
        long written = 0;
        while (written < body.Length)
        {
            var size = (int)Math.Min(Chunk, body.Length - written);
            if (breakAfter is { } limit && written + size > limit)
            {
                size = (int)Math.Max(0, limit - written);
                await http.Response.Body.WriteAsync(body.Slice((int)written, size), http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
                // Give the bytes time to reach the client before the connection drops, so the client has something to resume.
                await Task.Delay(stall ? Timeout.Infinite : 200, http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);

                http.Abort();
                return;
            }

            await http.Response.Body.WriteAsync(body.Slice((int)written, size), http.RequestAborted);
            written += size;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext http)
    {
        var headers = http.Request.Headers;
        Requests.Enqueue(new SeenRequest(http.Request.Host.Host, http.Request.Path, Optional(headers.Range), Optional(headers.IfRange),
            Optional(headers.Authorization)));
        if (_routes.TryGetValue(http.Request.Path, out var route))
        {
            await route(http);
        }
        else
        {
            http.Response.StatusCode = 404;
        }
    }

    private static string? Optional(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 ? null : value.ToString();
}
