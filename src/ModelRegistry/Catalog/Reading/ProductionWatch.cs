using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using ModelRegistry.Common;
using JasperFx.Events;
using Marten;

namespace ModelRegistry.Catalog.Reading;

/// <summary>
/// <c>GET /api/v1/models/{name}/production/watch</c>: server-sent events, one per production change, each with the
/// global position of the event that made it as its id. Without Last-Event-ID the first message is the current
/// pointer; with it, every change after that position is replayed from the stream before going live. Between
/// changes the watcher holds no connection: it re-reads the stream from the last version it saw when
/// <see cref="ModelSignals"/> wakes it (a commit anywhere, through NOTIFY) and at every heartbeat.
/// </summary>
internal sealed class ProductionWatch(
    IDocumentStore store,
    ModelSignals signals,
    IOptions<CatalogReadOptions> options,
    IOptions<JsonOptions> json,
    IHostApplicationLifetime lifetime)
{
    private static readonly byte[] Heartbeat = ": heartbeat\n\n"u8.ToArray();

    private sealed record NoProduction(string Name, int? Version);

    public async Task RunAsync(HttpContext http, string name)
    {
        var key = CatalogStream.StreamId(name);
        var resumeAfter = LastEventId(http.Request);
        await using (var session = store.QuerySession())
        {
            if (await session.Events.FetchStreamStateAsync(key, http.RequestAborted) is null)
            {
                throw CatalogErrors.ModelNotFound(name);
            }
        }

        using var stop = ServerSentEvents.Start(http, lifetime);
        var ct = stop.Token;
        var response = http.Response;

        try
        {
            await response.Body.WriteAsync(Encoding.UTF8.GetBytes($": production of {name}\n\n"), ct);
            await response.Body.FlushAsync(ct);

            var view = CatalogView.Initial;
            long streamVersion = 0;
            var emitAfter = resumeAfter ?? long.MaxValue;
            ProductionPointerResource? current = null;
            var initial = true;
            while (true)
            {
                var wake = signals.Next(key);
                IReadOnlyList<IEvent> events;
                await using (var session = store.QuerySession())
                {
                    events = await session.Events.FetchStreamAsync(key, fromVersion: streamVersion + 1, token: ct);
                }

                // The events of one append share their timestamp and count as one change (a promotion demotes the
                // previous version in the same append).
                foreach (var append in events.GroupAdjacent())
                {
                    view = append.Aggregate(view, CatalogView.Evolve);
                    streamVersion = append[^1].Version;
                    var next = view.Model is { } model ? CatalogResources.Pointer(model, view.Production) : null;
                    if (next != current && append[^1].Sequence > emitAfter)
                    {
                        await SendAsync(response, append[^1].Sequence, next, view, ct);
                    }

                    current = next;
                }

                if (initial)
                {
                    initial = false;
                    if (resumeAfter is null)
                    {
                        await SendAsync(response, view.Model?.ProductionPosition, current, view, ct);
                    }

                    emitAfter = 0;
                }

                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var beat = Task.Delay(options.Value.WatchHeartbeat, quiet.Token);
                if (await Task.WhenAny(wake, beat) == beat)
                {
                    ct.ThrowIfCancellationRequested();
                    await response.Body.WriteAsync(Heartbeat, ct);
                    await response.Body.FlushAsync(ct);
                }
                else
                {
                    await quiet.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (IOException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(HttpResponse response, long? id, ProductionPointerResource? pointer, CatalogView view, CancellationToken ct)
    {
        var data = pointer is null
            ? JsonSerializer.Serialize(new NoProduction(view.Model?.Name ?? "", null), json.Value.SerializerOptions)
            : JsonSerializer.Serialize(pointer, json.Value.SerializerOptions);
        var message = new StringBuilder();
        if (id is { } position)
        {
            message.Append(CultureInfo.InvariantCulture, $"id: {position}\n");
        }

        message.Append(CultureInfo.InvariantCulture, $"event: production\ndata: {data}\n\n");
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(message.ToString()), ct);
        await response.Body.FlushAsync(ct);
    }

    private static long? LastEventId(HttpRequest request)
    {
        var raw = request.Headers["Last-Event-ID"].ToString();
        return raw.Length == 0 ? null
            : long.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var position) ? position
            : throw DomainErrors.Invalid("Last-Event-ID", "invalid-last-event-id", "Last-Event-ID is the id of a message this stream sent.");
    }
}

internal static class AppendGrouping
{
    /// <summary>Consecutive events with the same timestamp: those of one append (one transaction).</summary>
    public static IEnumerable<IReadOnlyList<IEvent>> GroupAdjacent(this IReadOnlyList<IEvent> events)
    {
        var start = 0;
        for (var i = 1; i <= events.Count; i++)
        {
            if (i == events.Count || events[i].Timestamp != events[start].Timestamp)
            {
                yield return events.Skip(start).Take(i - start).ToList();
                start = i;
            }
        }
    }
}
