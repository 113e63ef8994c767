using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ModelRegistry.EventStore;
using ModelRegistry.EventStore.Commands;

namespace ModelRegistry.Common;

/// <summary>What a mutation answers: a status, the resource it shows, and for 201/202 where that resource lives.</summary>
internal sealed record CommandReply(int Status, ResponseView View, string? Location = null);

/// <summary>A resource a response shows, by kind (a keyed <see cref="IResponseRenderer"/>) and key (e.g. the model name).</summary>
internal sealed record ResponseView(string Kind, string Key);

/// <summary>Renders one kind of resource from the read model, as it is now or as it was at a moment.</summary>
internal interface IResponseRenderer
{
    Task<object?> RenderAsync(string key, DateTimeOffset? asOf, CancellationToken ct);

    /// <summary>The resource straight from the events a command just appended, when they alone determine it; null to read it back.</summary>
    object? RenderAppended(string key, AppendResult appended) => null;
}

/// <summary>
/// A command over HTTP: If-Match becomes the expected version (412 on mismatch), the decision runs on the one write
/// path (<see cref="StreamCommands.HandleAsync{TState}"/>) with the request's actor, correlation and causation, the
/// response carries <c>ETag: "&lt;stream version&gt;"</c>, and an Idempotency-Key replays the first response. Each command
/// counts once in <c>modelregistry.commands</c> with its outcome.
/// </summary>
internal sealed class HttpCommands(
    IEventStore store, StreamStateCache cache, IdempotencyStore idempotency, IServiceProvider services, TimeProvider clock, RegistryMetrics metrics)
{
    private static readonly TimeSpan ReplayWait = TimeSpan.FromSeconds(5);

    public async Task<IResult> RunAsync<TState>(
        HttpContext http,
        StreamDefinition<TState> stream,
        string streamId,
        Func<TState, DateTimeOffset, IReadOnlyList<object>> decide,
        Func<TState, IReadOnlyList<object>, CommandReply> reply,
        string? reason = null,
        InTransaction? alsoInTransaction = null,
        Func<CancellationToken, Task>? prepare = null)
    {
        try
        {
            var (result, outcome) = await HandleAsync(http, stream, streamId, decide, reply, reason, alsoInTransaction, prepare);
            metrics.CommandHandled(http, outcome);
            return result;
        }
        catch (DomainException)
        {
            metrics.CommandHandled(http, CommandOutcome.Refused);
            throw;
        }
        catch (ConcurrencyException)
        {
            metrics.CommandHandled(http, CommandOutcome.Conflict);
            throw;
        }
    }

    private async Task<(IResult Result, string Outcome)> HandleAsync<TState>(
        HttpContext http,
        StreamDefinition<TState> stream,
        string streamId,
        Func<TState, DateTimeOffset, IReadOnlyList<object>> decide,
        Func<TState, IReadOnlyList<object>, CommandReply> reply,
        string? reason,
        InTransaction? alsoInTransaction,
        Func<CancellationToken, Task>? prepare)
    {
        var ct = http.RequestAborted;
        var request = RequestContext.Get(http);
        var expected = Preconditions.IfMatch(http.Request);
        var scope = IdempotencyScope.Of(http, request);
        if (scope is not null && await idempotency.FindAsync(scope, ct) is { } earlier)
        {
            return (await ReplayAsync(scope, earlier, ct), CommandOutcome.Replayed);
        }

        if (prepare is not null)
        {
            await prepare(ct);
        }

        var now = clock.GetUtcNow();
        var decidedFrom = stream.Initial;
        var inTransaction = scope is null ? alsoInTransaction : async (transaction, token) =>
        {
            if (alsoInTransaction is not null)
            {
                await alsoInTransaction(transaction, token);
            }

            var appended = transaction.Appended;
            var events = appended.Events.Select(e => e.Data).ToList();
            var planned = reply(events.Aggregate(decidedFrom, stream.Evolve), events);
            if (!await idempotency.TryClaimAsync(transaction.Connection, transaction.Transaction, scope, planned, Preconditions.ETag(appended.StreamVersion),
                    appended.Events[^1].Timestamp, body: null, token))
            {
                throw new IdempotencyKeyTakenException();
            }
        };

        CommandResult<TState> result;
        try
        {
            result = await store.HandleAsync(stream, streamId, (state, _) =>
            {
                decidedFrom = state;
                return decide(state, now);
            }, expected, request.Metadata(http, reason), inTransaction, cache, ct);
        }
        catch (IdempotencyKeyTakenException)
        {
            return (await ReplayAsync(scope!, await idempotency.FindAsync(scope!, ct), ct), CommandOutcome.Replayed);
        }

        var decided = result.Appended?.Events.Select(e => e.Data).ToList() ?? [];
        var final = reply(result.State, decided);
        var etag = Preconditions.ETag(result.Version);
        var body = result.Appended is { } appended && Renderer(final.View).RenderAppended(final.View.Key, appended) is { } fromEvents
            ? Serialize(fromEvents)
            : await RenderAsync(final.View, asOf: null, ct);
        if (scope is not null)
        {
            if (result.Appended is not null)
            {
                await idempotency.CompleteAsync(scope, body, ct);
            }
            else if (!await idempotency.TryClaimAsync(null, null, scope, final, etag, asOf: null, body, ct))
            {
                return (await ReplayAsync(scope, await idempotency.FindAsync(scope, ct), ct), CommandOutcome.Replayed);
            }
        }

        return (new ReplyResult(final.Status, final.Location, etag, body, Replayed: false),
            result.Appended is null ? CommandOutcome.NoOp : CommandOutcome.Appended);
    }

    private async Task<IResult> ReplayAsync(IdempotencyScope scope, StoredResponse? stored, CancellationToken ct)
    {
        if (stored is null)
        {
            throw new InvalidOperationException("An idempotency key was taken but its record is gone.");
        }

        if (!CryptographicOperations.FixedTimeEquals(stored.RequestSha256, scope.RequestSha256))
        {
            throw DomainErrors.RuleViolation("idempotency-key-reused",
                "This Idempotency-Key was used for a different request body on this route; use a new key for a new request.");
        }

        // The first request may still be rendering its body; if it died between commit and render, render the
        // resource as it was right after that commit and keep it, so every replay answers the same bytes.
        var deadline = DateTime.UtcNow + ReplayWait;
        while (stored.Body is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, ct);
            stored = await idempotency.FindAsync(scope, ct) ?? stored;
        }

        if (stored.Body is null)
        {
            await idempotency.CompleteAsync(scope, await RenderAsync(stored.View, stored.AsOf, ct), ct);
            stored = await idempotency.FindAsync(scope, ct) ?? stored;
        }

        return new ReplyResult(stored.Status, stored.Location, stored.ETag, stored.Body!, Replayed: true);
    }

    private async Task<byte[]> RenderAsync(ResponseView view, DateTimeOffset? asOf, CancellationToken ct)
    {
        var resource = await Renderer(view).RenderAsync(view.Key, asOf, ct)
            ?? throw new InvalidOperationException($"The {view.Kind} '{view.Key}' that was just written cannot be read back.");
        return Serialize(resource);
    }

    private IResponseRenderer Renderer(ResponseView view) => services.GetRequiredKeyedService<IResponseRenderer>(view.Kind);

    private byte[] Serialize(object resource) => JsonSerializer.SerializeToUtf8Bytes(resource, resource.GetType(), services.Options());

    private sealed class IdempotencyKeyTakenException : Exception;

    private sealed record ReplyResult(int Status, string? Location, string? ETag, byte[] Body, bool Replayed) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = Status;
            response.ContentType = "application/json; charset=utf-8";
            if (Location is not null)
            {
                response.Headers.Location = Location;
            }

            if (ETag is not null)
            {
                response.Headers.ETag = ETag;
            }

            if (Replayed)
            {
                response.Headers["Idempotent-Replayed"] = "true";
            }

            response.ContentLength = Body.Length;
            await response.Body.WriteAsync(Body, httpContext.RequestAborted);
        }
    }
}

/// <summary>ETag and If-Match in terms of stream versions: <c>"7"</c> is the model's stream at version 7.</summary>
internal static class Preconditions
{
    public static string ETag(long streamVersion) => $"\"{streamVersion.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>The expected version from If-Match; null when absent or <c>*</c>; 400 when it is not one strong version tag.</summary>
    public static long? IfMatch(HttpRequest request)
    {
        var values = request.Headers.IfMatch;
        if (values.Count == 0)
        {
            return null;
        }

        var value = values.Count == 1 ? values[0]?.Trim() : null;
        if (value == "*")
        {
            return null;
        }

        if (value is ['"', .. var digits, '"'] && digits.Length is > 0 and <= 18 && digits.All(char.IsAsciiDigit))
        {
            return long.Parse(digits, CultureInfo.InvariantCulture);
        }

        throw DomainErrors.Invalid("If-Match", "invalid-if-match", "If-Match takes one strong ETag from this API, like \"7\".");
    }
}
