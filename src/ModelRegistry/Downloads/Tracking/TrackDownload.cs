using System.Globalization;
using System.Text;
using System.Text.Json;
using ModelRegistry.Catalog.Reading;
using ModelRegistry.Common;
using ModelRegistry.Downloads.State;

namespace ModelRegistry.Downloads.Tracking;

/// <summary><c>GET /api/v1/downloads</c> (newest first, by state), <c>GET /api/v1/downloads/{id}</c>, its server-sent progress, and <c>DELETE</c> to cancel it.</summary>
internal static class TrackDownloadEndpoints
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(15);

    public static Task<Page<DownloadResource>> ListAsync(HttpRequest request, DownloadReader reader, CancellationToken ct) =>
        reader.ListAsync(request.Query["state"].FirstOrDefault(), ReadQuery.Limit(request.Query["limit"].FirstOrDefault()),
            request.Query["cursor"].FirstOrDefault(), ct);

    public static async Task<DownloadResource> GetAsync(Guid id, DownloadReader reader, CancellationToken ct) =>
        await reader.GetAsync(id, ct) ?? throw DownloadReplies.NotFound(id);

    /// <summary>Cancelling is asking: the worker stops within a heartbeat and the version's download is marked failed.</summary>
    public static async Task<IResult> CancelAsync(Guid id, DownloadReader reader, DownloadCancellation cancellation, CancellationToken ct)
    {
        var before = await reader.GetAsync(id, ct) ?? throw DownloadReplies.NotFound(id);
        var outcome = await cancellation.CancelAsync(id, ct);
        if (outcome == CancelOutcome.AlreadyFinished && before.State != "cancelled")
        {
            throw DomainErrors.Conflict("download-finished", $"Download {id} has {before.State} already; there is nothing to cancel.");
        }

        return TypedResults.Accepted(DownloadReplies.PathOf(id), await reader.GetAsync(id, ct));
    }

    /// <summary>
    /// Server-sent events: a <c>progress</c> event whenever the download changes (polled twice a second), then one named after
    /// its final state (<c>succeeded</c>, <c>failed</c>, <c>cancelled</c>), after which the stream ends.
    /// </summary>
    public static async Task EventsAsync(Guid id, HttpContext http, DownloadReader reader, IHostApplicationLifetime lifetime)
    {
        _ = await reader.GetAsync(id, http.RequestAborted) ?? throw DownloadReplies.NotFound(id);
        using var stop = ServerSentEvents.Start(http, lifetime);
        var ct = stop.Token;
        var response = http.Response;
        var json = http.RequestServices.Options();
        try
        {
            string? last = null;
            var sent = 0;
            var quietSince = DateTime.UtcNow;
            while (await reader.GetAsync(id, ct) is { } download)
            {
                var data = JsonSerializer.Serialize(download, json);
                if (data != last)
                {
                    var name = download.IsFinished ? download.State : "progress";
                    await response.WriteAsync(
                        $"id: {(++sent).ToString(CultureInfo.InvariantCulture)}\nevent: {name}\ndata: {data}\n\n", Encoding.UTF8, ct);
                    await response.Body.FlushAsync(ct);
                    (last, quietSince) = (data, DateTime.UtcNow);
                }
                else if (DateTime.UtcNow - quietSince > HeartbeatInterval)
                {
                    await response.WriteAsync(": heartbeat\n\n", Encoding.UTF8, ct);
                    await response.Body.FlushAsync(ct);
                    quietSince = DateTime.UtcNow;
                }

                if (download.IsFinished)
                {
                    return;
                }

                await Task.Delay(PollInterval, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
