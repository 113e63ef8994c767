using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ModelRegistry.Cli.Api;

/// <summary>An answer of the registry: the typed resource and the body as it came, for <c>--json</c>.</summary>
internal sealed record Reply<T>(HttpStatusCode Status, T Value, string Json);

/// <summary>The registry answered with an error; <see cref="Problem"/> holds what it said.</summary>
internal sealed class RegistryProblemException(Problem problem) : Exception(problem.Detail ?? problem.Title)
{
    public Problem Problem { get; } = problem;
}

/// <summary>
/// The HTTP API of SPEC §5 as methods. Paths are relative, so a base address with a path prefix (a registry behind a
/// reverse proxy) keeps it. Every error answer becomes a <see cref="RegistryProblemException"/>.
/// </summary>
internal sealed class RegistryClient(HttpClient http)
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// The path of a model, or of something under it. Each part of <c>namespace/name</c> is escaped on its own and the
    /// <c>/</c> kept, so <c>org/name</c> reaches the server's two-segment route.
    /// </summary>
    public static string ModelPath(string name, string? suffix = null)
    {
        var path = "api/v1/models/" + string.Join('/', name.Split('/').Select(Uri.EscapeDataString));
        return suffix is null ? path : $"{path}/{suffix}";
    }

    public static string Query(params (string Name, string? Value)[] parameters)
    {
        var given = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return given.Count == 0 ? "" : "?" + string.Join('&', given);
    }

    public Task<Reply<Page<ModelSummary>>> ListModelsAsync(string query, CancellationToken ct) =>
        SendAsync<Page<ModelSummary>>(HttpMethod.Get, "api/v1/models" + query, null, ct);

    public Task<Reply<Model>> GetModelAsync(string name, DateTimeOffset? asOf, CancellationToken ct) =>
        SendAsync<Model>(HttpMethod.Get, ModelPath(name) + Query(("as_of", Timestamp(asOf))), null, ct);

    public Task<Reply<Page<HistoryItem>>> GetHistoryAsync(string name, int? limit, string? cursor, CancellationToken ct) =>
        SendAsync<Page<HistoryItem>>(HttpMethod.Get,
            ModelPath(name, "history") + Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("cursor", cursor)), null, ct);

    public Task<Reply<ModelVersion>> GetVersionAsync(string name, int version, CancellationToken ct) =>
        SendAsync<ModelVersion>(HttpMethod.Get, ModelPath(name, $"versions/{version.ToString(CultureInfo.InvariantCulture)}"), null, ct);

    public Task<Reply<ModelVersion>> RegisterVersionAsync(string name, RegisterVersionBody body, CancellationToken ct) =>
        SendAsync<ModelVersion>(HttpMethod.Post, ModelPath(name, "versions"), body, ct);

    /// <summary><c>promote</c> takes a <see cref="PromoteBody"/>; <c>demote</c>, <c>archive</c> and <c>restore</c> a <see cref="ReasonBody"/>.</summary>
    public Task<Reply<ModelVersion>> ChangeVersionAsync(string name, int version, string action, object body, CancellationToken ct) =>
        SendAsync<ModelVersion>(HttpMethod.Post, ModelPath(name, $"versions/{version.ToString(CultureInfo.InvariantCulture)}/{action}"), body, ct);

    public Task<Reply<Model>> UpdateModelAsync(string name, UpdateModelBody body, CancellationToken ct) =>
        SendAsync<Model>(HttpMethod.Patch, ModelPath(name), body, ct);

    /// <summary><c>lock</c> or <c>unlock</c>; both need a reason.</summary>
    public Task<Reply<Model>> LockAsync(string name, string action, string reason, CancellationToken ct) =>
        SendAsync<Model>(HttpMethod.Post, ModelPath(name, action), new ReasonBody(reason), ct);

    public Task<Reply<ModelVersion>> VerifyAsync(string name, int version, CancellationToken ct) =>
        SendAsync<ModelVersion>(HttpMethod.Post, ModelPath(name, $"versions/{version.ToString(CultureInfo.InvariantCulture)}/verify"), null, ct);

    public Task<Reply<ScanReport>> ScanAsync(CancellationToken ct) => SendAsync<ScanReport>(HttpMethod.Post, "api/v1/scan", null, ct);

    public Task<Reply<Page<HistoryItem>>> AuditAsync(string query, CancellationToken ct) =>
        SendAsync<Page<HistoryItem>>(HttpMethod.Get, "api/v1/audit" + query, null, ct);

    public Task<Reply<Page<Download>>> ListDownloadsAsync(string query, CancellationToken ct) =>
        SendAsync<Page<Download>>(HttpMethod.Get, "api/v1/downloads" + query, null, ct);

    public Task<Reply<Download>> CancelDownloadAsync(Guid id, CancellationToken ct) =>
        SendAsync<Download>(HttpMethod.Delete, $"api/v1/downloads/{id}", null, ct);

    public Task<Reply<CreatedKey>> CreateKeyAsync(string name, string role, CancellationToken ct) =>
        SendAsync<CreatedKey>(HttpMethod.Post, "api/v1/keys", new CreateKeyBody(name, role), ct);

    public Task<Reply<KeyList>> ListKeysAsync(CancellationToken ct) => SendAsync<KeyList>(HttpMethod.Get, "api/v1/keys", null, ct);

    /// <summary>204 without a body: the reply's value is null.</summary>
    public Task<Reply<object?>> RevokeKeyAsync(string name, CancellationToken ct) =>
        SendAsync<object?>(HttpMethod.Delete, "api/v1/keys/" + Uri.EscapeDataString(name), null, ct);

    public Task<Reply<IReadOnlyList<ServingEndpoint>>> ListEndpointsAsync(CancellationToken ct) =>
        SendAsync<IReadOnlyList<ServingEndpoint>>(HttpMethod.Get, "api/v1/endpoints", null, ct);

    public Task<Reply<ServingEndpoint>> CreateEndpointAsync(EndpointBody body, CancellationToken ct) =>
        SendAsync<ServingEndpoint>(HttpMethod.Post, "api/v1/endpoints", body, ct);

    public Task<Reply<ServingEndpoint>> GetEndpointAsync(string id, CancellationToken ct) =>
        SendAsync<ServingEndpoint>(HttpMethod.Get, EndpointPath(id), null, ct);

    public Task<Reply<EndpointHealth>> CheckEndpointAsync(string id, CancellationToken ct) =>
        SendAsync<EndpointHealth>(HttpMethod.Post, EndpointPath(id, "health"), null, ct);

    /// <summary>204 without a body: the reply's value is null.</summary>
    public Task<Reply<object?>> RemoveEndpointAsync(string id, CancellationToken ct) =>
        SendAsync<object?>(HttpMethod.Delete, EndpointPath(id), null, ct);

    public static string EndpointPath(string id, string? suffix = null) =>
        "api/v1/endpoints/" + Uri.EscapeDataString(id) + (suffix is null ? "" : $"/{suffix}");

    public Task<Reply<Model>> RollbackAsync(string name, string? reason, CancellationToken ct) =>
        SendAsync<Model>(HttpMethod.Post, ModelPath(name, "rollback"), new ReasonBody(reason), ct);

    /// <summary>202 with the download for a remote reference; 201 with the version, ready at once, for a local one.</summary>
    public Task<Reply<JsonElement>> RequestDownloadAsync(DownloadBody body, CancellationToken ct) =>
        SendAsync<JsonElement>(HttpMethod.Post, "api/v1/downloads", body, ct);

    public Task<Reply<Download>> GetDownloadAsync(Guid id, CancellationToken ct) =>
        SendAsync<Download>(HttpMethod.Get, $"api/v1/downloads/{id}", null, ct);

    public IAsyncEnumerable<SseItem<string>> DownloadEventsAsync(Guid id, CancellationToken ct) =>
        EventsAsync($"api/v1/downloads/{id}/events", null, ct);

    public IAsyncEnumerable<SseItem<string>> WatchProductionAsync(string name, string? lastEventId, CancellationToken ct) =>
        EventsAsync(ModelPath(name, "production/watch"), lastEventId, ct);

    /// <summary>One connection to a server-sent event stream; it ends when the server closes it.</summary>
    private async IAsyncEnumerable<SseItem<string>> EventsAsync(string path, string? lastEventId, [EnumeratorCancellation] CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await ThrowIfErrorAsync(response, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(ct))
        {
            yield return item;
        }
    }

    private async Task<Reply<T>> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(RequestTimeout);
        using var response = await http.SendAsync(request, deadline.Token);
        await ThrowIfErrorAsync(response, deadline.Token);
        var text = await response.Content.ReadAsStringAsync(deadline.Token);
        return new Reply<T>(response.StatusCode, text.Length == 0 ? default! : JsonSerializer.Deserialize<T>(text, Json)!, text);
    }

    private static async Task ThrowIfErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(ct);
        Problem? problem = null;
        if (response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json")
        {
            try
            {
                problem = JsonSerializer.Deserialize<Problem>(text, Json);
            }
            catch (JsonException)
            {
            }
        }

        throw new RegistryProblemException(problem is { Title: not null } ? problem with { Status = problem.Status ?? status }
            : new Problem(null, response.ReasonPhrase ?? $"HTTP {status}", status, text.Length is > 0 and < 500 ? text : null, null));
    }

    public static string? Timestamp(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
