using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Alba;
using Alba.Exceptions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using MediaTypeHeaderValue = System.Net.Http.Headers.MediaTypeHeaderValue;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>
/// What the tests add to Alba's scenarios: requests authenticated as the bootstrap admin unless told otherwise, JSON
/// bodies as a client of this API writes them, the app's error log on a failed expectation, and a response read as
/// status, headers, bytes, text and JSON. As in Alba, a scenario that names no status expects a 2xx; <c>IgnoreStatusCode()</c>
/// takes any. Alba's <c>ToUrl</c> after a body sets the path only: a URL with a query string goes to <c>Url</c>.
/// </summary>
public static class Scenarios
{
    private static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>
    /// Every scenario of <paramref name="host"/> carries the bootstrap admin key unless it says <see cref="Anonymous"/> or
    /// names another with <see cref="Scenario.WithBearerToken"/>, and reaches the app as an <see cref="HttpClient"/>'s
    /// request would over the test server: one without a body has none (Alba would otherwise let every request have one).
    /// </summary>
    public static IAlbaHost UseTestDefaults(this IAlbaHost host)
    {
        host.BeforeEach(c => c.Request.Headers.Authorization = $"Bearer {RegistryApp.AdminKey}");
        host.BeforeEachAsync(scenario =>
        {
            scenario.ConfigureHttpContext(AsSentByHttpClient);
            return Task.CompletedTask;
        });
        return host;
    }

    /// <summary>
    /// Runs a scenario; a failed expectation names the request and adds <paramref name="diagnostics"/>, the app's error log,
    /// to Alba's message.
    /// </summary>
    public static async Task<IScenarioResult> Scenario(this IAlbaHost host, Action<Scenario> configure, Func<IEnumerable<string>> diagnostics)
    {
        var request = "";
        try
        {
            return await host.Scenario(scenario =>
            {
                configure(scenario);
                scenario.ConfigureHttpContext(c => request = $"{c.Request.Method} {c.Request.Path}{c.Request.QueryString}");
            });
        }
        catch (ScenarioAssertionException failed)
        {
            Assert.Fail($"{request}: {failed.Message}\n{string.Join('\n', diagnostics())}");
            throw;
        }
    }

    /// <summary>No key at all: the bootstrap admin key that every scenario carries is removed.</summary>
    public static void Anonymous(this Scenario scenario) => scenario.RemoveRequestHeader(HeaderNames.Authorization);

    /// <summary>A method given by name, e.g. taken from the app's route table.</summary>
    public static IUrlExpression Method(this Scenario scenario, string method)
    {
        scenario.ConfigureHttpContext(c => c.Request.Method = method);
        return scenario;
    }

    /// <summary>
    /// A JSON body as this API's clients write it: anonymous objects' member names become snake_case. (Alba's own
    /// <c>Json</c> would use the app's serializer options, which format some values otherwise, and add an Accept header.)
    /// </summary>
    public static SendExpression SnakeJson(this IUrlExpression url, object body) =>
        url.Bytes(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Snake), "application/json");

    /// <summary>A body of these bytes, with this Content-Type or none.</summary>
    public static SendExpression Bytes(this IUrlExpression url, byte[] body, string? contentType)
    {
        var send = url.ByteArray(body);
        if (contentType is not null)
        {
            send.ContentType(MediaTypeHeaderValue.Parse(contentType).ToString());
        }

        return send;
    }

    private static void AsSentByHttpClient(HttpContext context)
    {
        // TestServer's client handler: content of no bytes, or none at all, is no body.
        if (context.Request.ContentLength is null or 0 && context.Request.Body is { CanSeek: true, Length: 0 })
        {
            context.Features.Set<IHttpRequestBodyDetectionFeature>(new NoBody());
        }
    }

    private sealed class NoBody : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => false;
    }

    /// <summary>The response's headers as TestServer's client handler hands them to <see cref="HttpClient"/>.</summary>
    private static HttpResponseMessage AsHttpResponse(this IScenarioResult result)
    {
        var message = new HttpResponseMessage { Content = new ByteArrayContent([]) };
        foreach (var (name, values) in result.Context.Response.Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                message.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        return message;
    }

    extension(IScenarioResult result)
    {
        public int Status => result.Context.Response.StatusCode;

        /// <summary>The response headers as <see cref="HttpClient"/> reads them (content headers apart).</summary>
        public HttpResponseHeaders Headers => result.AsHttpResponse().Headers;

        public string? ContentType => result.AsHttpResponse().Content.Headers.ContentType?.ToString();

        public byte[] Bytes => result.ReadAsBytes();

        public string Text => Encoding.UTF8.GetString(result.Bytes);

        public JsonElement Json => JsonDocument.Parse(result.Bytes).RootElement.Clone();

        public string? Location => result.Headers.Location?.OriginalString;

        public string? ETag => result.Headers.ETag?.ToString();

        public string? Header(string name) => result.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

        public string String(string property) => result.Json.GetProperty(property).GetString()!;

        /// <summary>Asserts an RFC 9457 problem with our stable type for <paramref name="code"/>, and returns it.</summary>
        public JsonElement Problem(string code)
        {
            Assert.Equal("application/problem+json", result.ContentType?.Split(';')[0]);
            var json = result.Json;
            Assert.Equal($"https://modelregistry.dev/problems/{code}", json.GetProperty("type").GetString());
            Assert.Equal(result.Status, json.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(json.GetProperty("title").GetString()));
            return json;
        }

        /// <summary>The messages of a problem's field error.</summary>
        public string[] FieldErrors(string field) =>
            result.Json.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out var messages)
                ? messages.EnumerateArray().Select(m => m.GetString()!).ToArray()
                : [];
    }
}
