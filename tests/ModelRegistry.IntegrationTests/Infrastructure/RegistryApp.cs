using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelRegistry.EventStore;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>
/// The whole app over <see cref="WebApplicationFactory{TEntryPoint}"/> on a test class's own database and storage root,
/// with an Alba-style scenario helper: <c>await app.Scenario(s => s.Post.Json(body).ToUrl("/api/v1/models"), expect: 201)</c>.
/// </summary>
public sealed class RegistryApp : IAsyncDisposable
{
    public const string AdminKey = "test-bootstrap-admin-key";

    private readonly WebApplicationFactory<Program> _factory;
    private readonly TestLog _log = new();

    private RegistryApp(string connectionString, string storageRoot, IReadOnlyDictionary<string, string?> settings,
        Action<IServiceCollection>? services)
    {
        ConnectionString = connectionString;
        StorageRoot = storageRoot;
        Settings = settings;
        ConfigureServices = services;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
        {
            builder.UseSetting("ConnectionStrings:Registry", connectionString);
            builder.UseSetting("Registry:Storage:Root", storageRoot);
            builder.UseSetting("Registry:Auth:BootstrapAdminKey", AdminKey);
            builder.UseSetting("Registry:EventStore:PollInterval", "00:00:00.050");
            // Catalog tests look at versions as registered; the Downloads tests run the worker themselves.
            builder.UseSetting("Registry:Jobs:RunWorker", "false");
            // Nothing is fetched, but a URL must pass the egress policy to be registered: the tests' URLs are on example domains.
            builder.UseSetting("Registry:Downloads:AllowedHosts", "*.example, example.com");
            // Periodic integrity checks and storage cleanups run only where a test turns them on.
            builder.UseSetting("Registry:Integrity:Interval", "00:00:00");
            builder.UseSetting("Registry:Storage:CleanupInterval", "00:00:00");
            // Tests send bursts of commands with one key; the limits tests set their own.
            builder.UseSetting("Registry:Limits:MutationsPerSecond", "100000");
            builder.UseSetting("Registry:Limits:MutationBurst", "100000");
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(_log);
            });
            if (services is not null)
            {
                builder.ConfigureTestServices(services);
            }
        });
        Client = _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    public string ConnectionString { get; }

    public string StorageRoot { get; }

    public IReadOnlyDictionary<string, string?> Settings { get; }

    public Action<IServiceCollection>? ConfigureServices { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _factory.Services;

    public IEventStore Store => Services.GetRequiredService<IEventStore>();

    /// <summary>A handler that reaches this app in memory, for clients that build their own <see cref="HttpClient"/>.</summary>
    public HttpMessageHandler CreateHandler() => _factory.Server.CreateHandler();

    /// <summary>Error logs of the app so far; a failed expectation prints them.</summary>
    public IReadOnlyCollection<string> Errors => _log.Errors;

    /// <summary>Every line the app has logged at Information or above, with its scopes' properties.</summary>
    public IReadOnlyCollection<LogLine> Logs => _log.Lines;

    public static RegistryApp Start(string connectionString, string storageRoot, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null) =>
        new(connectionString, storageRoot, settings ?? new Dictionary<string, string?>(), services);

    /// <summary>Stops this app and starts a new one on the same database and storage root.</summary>
    public async Task<RegistryApp> RestartAsync()
    {
        await DisposeAsync();
        return Start(ConnectionString, StorageRoot, Settings, ConfigureServices);
    }

    public Task<ScenarioResult> Scenario(Action<Scenario> configure, int? expect = null) =>
        Infrastructure.Scenario.SendAsync(Client, configure, expect, () => string.Join('\n', Errors));

    public async Task<IReadOnlyList<StoredEvent>> StreamAsync(string modelName) =>
        await Store.ReadStreamAsync(modelName.ToLowerInvariant());

    /// <summary>Writes a file under the storage root and returns its relative path.</summary>
    public string WriteFile(string relativePath, string content = "model bytes") =>
        WriteFile(relativePath, Encoding.UTF8.GetBytes(content));

    public string WriteFile(string relativePath, byte[] content)
    {
        var path = Path.Combine(StorageRoot, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return relativePath;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
    }
}

/// <summary>One request: method, URL, body and headers; authenticated as the bootstrap admin unless told otherwise.</summary>
public sealed class Scenario
{
    private static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);
    private HttpMethod _method = HttpMethod.Get;
    private string _url = "/";
    private byte[]? _body;
    private string? _contentType;
    private string? _bearer = RegistryApp.AdminKey;

    /// <summary>Builds a request, sends it and, when <paramref name="expect"/> is given, fails the test on another status.</summary>
    public static async Task<ScenarioResult> SendAsync(HttpClient client, Action<Scenario> configure, int? expect, Func<string>? diagnostics = null)
    {
        var scenario = new Scenario();
        configure(scenario);
        using var request = scenario.Build();
        using var response = await client.SendAsync(request);
        var result = new ScenarioResult(response, await response.Content.ReadAsByteArrayAsync());
        if (expect is { } status && result.Status != status)
        {
            Assert.Fail($"{scenario} answered {result.Status}, expected {status}.\n{result.Text}\n{diagnostics?.Invoke()}");
        }

        return result;
    }

    public Scenario Get => Method(HttpMethod.Get);

    public Scenario Post => Method(HttpMethod.Post);

    public Scenario Put => Method(HttpMethod.Put);

    public Scenario Patch => Method(HttpMethod.Patch);

    public Scenario Delete => Method(HttpMethod.Delete);

    public Scenario Method(HttpMethod method)
    {
        _method = method;
        return this;
    }

    /// <summary>A JSON body; anonymous objects' member names become snake_case.</summary>
    public Scenario Json(object body) => Body(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Snake), "application/json");

    public Scenario Text(string body, string? contentType = "application/json") => Body(Encoding.UTF8.GetBytes(body), contentType);

    public Scenario Body(byte[] body, string? contentType)
    {
        _body = body;
        _contentType = contentType;
        return this;
    }

    public Scenario ToUrl(string url)
    {
        _url = url;
        return this;
    }

    public Scenario Header(string name, string value)
    {
        _headers[name] = value;
        return this;
    }

    public Scenario IfMatch(string etag) => Header("If-Match", etag);

    public Scenario IdempotencyKey(string key) => Header("Idempotency-Key", key);

    public Scenario Anonymous()
    {
        _bearer = null;
        return this;
    }

    public Scenario Bearer(string key)
    {
        _bearer = key;
        return this;
    }

    public HttpRequestMessage Build()
    {
        var request = new HttpRequestMessage(_method, _url);
        if (_body is not null)
        {
            request.Content = new ByteArrayContent(_body);
            if (_contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(_contentType);
            }
        }

        if (_bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _bearer);
        }

        foreach (var (name, value) in _headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    public override string ToString() => $"{_method} {_url}";
}

/// <summary>A response, read once: status, headers, body as bytes, text and JSON.</summary>
public sealed class ScenarioResult(HttpResponseMessage response, byte[] body)
{
    public int Status { get; } = (int)response.StatusCode;

    public HttpResponseHeaders Headers { get; } = response.Headers;

    public string? ContentType { get; } = response.Content.Headers.ContentType?.ToString();

    public byte[] Bytes { get; } = body;

    public string Text => Encoding.UTF8.GetString(Bytes);

    public JsonElement Json => JsonDocument.Parse(Bytes).RootElement.Clone();

    public string? Location => Headers.Location?.OriginalString;

    public string? ETag => Headers.ETag?.ToString();

    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    public string String(string property) => Json.GetProperty(property).GetString()!;

    /// <summary>Asserts an RFC 9457 problem with our stable type for <paramref name="code"/>, and returns it.</summary>
    public JsonElement Problem(string code)
    {
        Assert.Equal("application/problem+json", ContentType?.Split(';')[0]);
        var json = Json;
        Assert.Equal($"https://modelregistry.dev/problems/{code}", json.GetProperty("type").GetString());
        Assert.Equal(Status, json.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("title").GetString()));
        return json;
    }

    /// <summary>The messages of a problem's field error.</summary>
    public string[] FieldErrors(string field) =>
        Json.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out var messages)
            ? messages.EnumerateArray().Select(m => m.GetString()!).ToArray()
            : [];
}
