using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using JasperFx;
using JasperFx.Events;
using Marten;
using ModelRegistry.Catalog;
using Wolverine;

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
    object? RenderAppended(string key, IReadOnlyList<IEvent> appended) => null;
}

/// <summary>
/// A model command over HTTP, handed to its Wolverine handler with <see cref="IMessageBus.InvokeAsync{T}(object, CancellationToken, TimeSpan?)"/>:
/// If-Match becomes the version the handler must find (412 otherwise), the request's actor, correlation, causation and reason go
/// into the command's events, the response carries <c>ETag: "&lt;stream version&gt;"</c>, and an Idempotency-Key is claimed in the
/// events' own transaction and replays the first response. Each command counts once in <c>modelregistry.commands</c>.
/// </summary>
internal sealed class HttpCommands(IdempotencyStore idempotency, IDocumentStore store, IServiceProvider services, RegistryMetrics metrics)
{
    private static readonly TimeSpan ReplayWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs the command <paramref name="command"/> builds from the request's context (after an idempotent replay had its chance, so
    /// a replay does no work such as measuring a file), and answers what <paramref name="reply"/> makes of the model after it.
    /// </summary>
    public async Task<IResult> InvokeAsync(
        HttpContext http,
        Func<CommandContext, CancellationToken, ValueTask<IModelCommand>> command,
        Func<ModelState, IReadOnlyList<object>, CommandReply> reply,
        string? reason = null)
    {
        try
        {
            var (result, outcome) = await HandleAsync(http, command, reply, reason);
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

    public Task<IResult> InvokeAsync(HttpContext http, Func<CommandContext, IModelCommand> command,
        Func<ModelState, IReadOnlyList<object>, CommandReply> reply, string? reason = null) =>
        InvokeAsync(http, (context, _) => ValueTask.FromResult(command(context)), reply, reason);

    private async Task<(IResult Result, string Outcome)> HandleAsync(
        HttpContext http,
        Func<CommandContext, CancellationToken, ValueTask<IModelCommand>> build,
        Func<ModelState, IReadOnlyList<object>, CommandReply> reply,
        string? reason)
    {
        var ct = http.RequestAborted;
        var request = RequestContext.Get(http);
        var scope = IdempotencyScope.Of(http, request);
        if (scope is not null && await idempotency.FindAsync(scope, ct) is { } earlier)
        {
            return (await ReplayAsync(scope, earlier, reply, ct), CommandOutcome.Replayed);
        }

        var context = request.Context(http, reason) with { IfMatch = Preconditions.IfMatch(http.Request), Claim = scope?.Claim };
        var command = await build(context, ct);
        CommandDone done;
        try
        {
            done = await http.RequestServices.GetRequiredService<IMessageBus>().InvokeAsync<CommandDone>(command, ct);
        }
        catch (Exception ex) when (scope is not null && IdempotencyStore.IsClaimTaken(ex))
        {
            return (await ReplayAsync(scope, await idempotency.FindAsync(scope, ct), reply, ct), CommandOutcome.Replayed);
        }

        var final = reply(done.State, done.Decided);
        var etag = Preconditions.ETag(done.Version);
        var body = done.Events.Count > 0 && Renderer(final.View).RenderAppended(final.View.Key, done.Events) is { } fromEvents
            ? Serialize(fromEvents)
            : await RenderAsync(final.View, asOf: null, ct);
        if (scope is not null)
        {
            if (done.Events.Count > 0)
            {
                await idempotency.CompleteAsync(scope, final, etag, done.Events[^1].Timestamp, body, ct);
            }
            else if (!await idempotency.TryClaimAnsweredAsync(scope, final, etag, body, ct))
            {
                return (await ReplayAsync(scope, await idempotency.FindAsync(scope, ct), reply, ct), CommandOutcome.Replayed);
            }
        }

        return (new ReplyResult(final.Status, final.Location, etag, body, Replayed: false),
            done.Events.Count == 0 ? CommandOutcome.NoOp : CommandOutcome.Appended);
    }

    private async Task<IResult> ReplayAsync(IdempotencyScope scope, StoredResponse? stored,
        Func<ModelState, IReadOnlyList<object>, CommandReply> reply, CancellationToken ct)
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

        // The first request may still be rendering its answer; if it died between its commit and its answer, the answer is made
        // again from the events it appended, the resource rendered as it was right after that commit, and kept, so every replay
        // answers the same bytes.
        var deadline = DateTime.UtcNow + ReplayWait;
        while (stored.Body is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, ct);
            stored = await idempotency.FindAsync(scope, ct) ?? stored;
        }

        if (stored.Body is null)
        {
            var (final, asOf) = await ReplyFromStreamAsync(stored, reply, ct);
            await idempotency.CompleteAsync(scope, final, Preconditions.ETag(stored.VersionAfter), asOf, await RenderAsync(final.View, asOf, ct), ct);
            stored = await idempotency.FindAsync(scope, ct) ?? stored;
        }

        return new ReplyResult(stored.Status!.Value, stored.Location, stored.ETag, stored.Body!, Replayed: true);
    }

    private async Task<(CommandReply Reply, DateTimeOffset AsOf)> ReplyFromStreamAsync(StoredResponse stored,
        Func<ModelState, IReadOnlyList<object>, CommandReply> reply, CancellationToken ct)
    {
        await using var session = store.QuerySession();
        var state = await session.Events.AggregateStreamAsync<ModelState>(stored.StreamKey, version: stored.VersionAfter, token: ct)
            ?? throw new InvalidOperationException($"The stream '{stored.StreamKey}' an idempotency key answered for is gone.");
        var events = await session.Events.FetchStreamAsync(stored.StreamKey, version: stored.VersionAfter, fromVersion: stored.VersionBefore + 1, token: ct);
        return (reply(state, events.Select(e => e.Data).ToList()), events[^1].Timestamp);
    }

    private async Task<byte[]> RenderAsync(ResponseView view, DateTimeOffset? asOf, CancellationToken ct)
    {
        var resource = await Renderer(view).RenderAsync(view.Key, asOf, ct)
            ?? throw new InvalidOperationException($"The {view.Kind} '{view.Key}' that was just written cannot be read back.");
        return Serialize(resource);
    }

    private IResponseRenderer Renderer(ResponseView view) => services.GetRequiredKeyedService<IResponseRenderer>(view.Kind);

    private byte[] Serialize(object resource) => JsonSerializer.SerializeToUtf8Bytes(resource, resource.GetType(), services.Options());

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
