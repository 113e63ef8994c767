using System.Collections.Immutable;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Archiving;
using ModelRegistry.Catalog.Downloading;
using ModelRegistry.Catalog.Locking;
using ModelRegistry.Catalog.Promoting;
using ModelRegistry.Catalog.Registering;
using ModelRegistry.Catalog.Updating;
using ModelRegistry.Admin;
using ModelRegistry.Common;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Catalog.Reading;

/// <summary>
/// The registry (<see cref="RegistryFixture"/>: its own database and storage root) with events produced the way the
/// write side produces them, through the deciders and the event store's command path, so reads are tested on their own.
/// </summary>
public sealed class ReadingApp : IAsyncLifetime
{
    private readonly RegistryFixture _fixture = new();
    private readonly List<RegistryApp> _others = [];

    public TestDatabase Database => _fixture.Database;

    public string StorageRoot => _fixture.StorageRoot;

    public RegistryApp App => _fixture.App;

    public HttpClient Client => App.Client;

    public IServiceProvider Services => App.Services;

    internal ProjectionAdmin Projections => Services.GetRequiredService<ProjectionAdmin>();

    public Task InitializeAsync() => _fixture.InitializeAsync();

    /// <summary>Another instance of the registry on the same database, as a second server would be.</summary>
    public async Task<RegistryApp> StartInstanceAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var other = await _fixture.StartAsync(settings);
        _others.Add(other);
        return other;
    }

    public async Task DisposeAsync()
    {
        foreach (var other in _others)
        {
            await other.DisposeAsync();
        }

        await _fixture.DisposeAsync();
    }

    public static CommandContext By(string actor, string? reason = null) => new(actor, $"corr-{actor}", $"cause-{actor}", reason);

    /// <summary>Runs a command on a model's stream, as the write side does (in <paramref name="app"/>, else this class's app).</summary>
    internal Task<CommandDone> RunAsync(IModelCommand command, RegistryApp? app = null) => (app ?? App).InvokeAsync(command);

    /// <summary>Registers the model unless it exists already.</summary>
    public async Task EnsureRegisteredAsync(string name)
    {
        try
        {
            await RegisterAsync(name);
        }
        catch (DomainException refused) when (refused.Code == "duplicate-model")
        {
        }
    }

    public Task<CommandDone> RegisterAsync(string name, string? description = null, IReadOnlyDictionary<string, string>? tags = null, string actor = "alice") =>
        RunAsync(new RegisterModel(name, description, tags ?? ImmutableDictionary<string, string>.Empty, actor) { Context = By(actor) });

    /// <summary>Writes a file under the storage root and registers it as a ready local version.</summary>
    internal async Task<CommandDone> AddLocalVersionAsync(string name, string relativePath, int? version = null, string actor = "alice",
        string content = "weights", VersionMetadata? metadata = null)
    {
        var file = Path.Combine(StorageRoot, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, content);
        var bytes = Encoding.UTF8.GetBytes(content);
        var measured = new MeasuredFile(relativePath, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        return await RunAsync(new RegisterVersion(name, version, new VersionSource(SourceType.Local, relativePath, null, null), null, null,
            metadata ?? VersionMetadata.Empty, actor, measured) { Context = By(actor) });
    }

    internal Task<CommandDone> AddRemoteVersionAsync(string name, SourceType type, string uri, string? file = null, int? version = null, string actor = "alice") =>
        RunAsync(new RegisterVersion(name, version, new VersionSource(type, uri, null, file), null, null, VersionMetadata.Empty, actor, null)
        {
            Context = By(actor),
        });

    /// <summary>Completes the download a remote version's registration queued, as its worker's first attempt would.</summary>
    public async Task<CommandDone> DownloadAsync(string name, int version, string relativePath, long size, string sha256)
    {
        var job = ModelRegistry.Downloads.DownloadJob.IdFor(name, version);
        await RunAsync(new StartDownload(name, version, job) { Context = By("downloader") });
        return await RunAsync(new CompleteDownload(name, version, job, relativePath, size, sha256, null, null, null) { Context = By("downloader") });
    }

    public Task<CommandDone> PromoteAsync(string name, int version, string actor = "alice", string? reason = null, RegistryApp? app = null) =>
        RunAsync(new PromoteVersion(name, version, Stage.Production) { Context = By(actor, reason) }, app);

    public Task<CommandDone> DemoteAsync(string name, int version, string actor = "alice", string? reason = null) =>
        RunAsync(new DemoteVersion(name, version) { Context = By(actor, reason) });

    public Task<CommandDone> RollbackAsync(string name, string actor = "alice") => RunAsync(new Rollback(name) { Context = By(actor) });

    public Task<CommandDone> ArchiveAsync(string name, int version, string actor = "alice") =>
        RunAsync(new ArchiveVersion(name, version) { Context = By(actor) });

    public Task<CommandDone> RestoreAsync(string name, int version, string actor = "alice") =>
        RunAsync(new RestoreVersion(name, version) { Context = By(actor) });

    public Task<CommandDone> LockAsync(string name, string reason, string actor = "alice") =>
        RunAsync(new LockModel(name, reason) { Context = By(actor, reason) });

    public Task<CommandDone> UnlockAsync(string name, string reason, string actor = "alice") =>
        RunAsync(new UnlockModel(name, reason) { Context = By(actor, reason) });

    public Task<CommandDone> UpdateAsync(string name, string? description, IReadOnlyDictionary<string, string>? tags = null, string actor = "alice") =>
        RunAsync(new UpdateModel(name, description, tags) { Context = By(actor) });

    public async Task<JsonElement> GetAsync(string url, HttpStatusCode expect = HttpStatusCode.OK, HttpClient? client = null)
    {
        using var response = await (client ?? Client).GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expect == response.StatusCode, $"GET {url}: expected {(int)expect}, got {(int)response.StatusCode}: {body}");
        if (expect != HttpStatusCode.OK)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Expects a 400 problem whose errors name <paramref name="field"/>.</summary>
    public async Task ExpectInvalidAsync(string url, string field)
    {
        var problem = await GetAsync(url, HttpStatusCode.BadRequest);
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _), $"GET {url}: no error for '{field}' in {problem}");
    }

    public static HttpRequestMessage Get(string url, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (header, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return request;
    }

    public static string Sha256Of(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));

    public static string Escape(string value) => Uri.EscapeDataString(value);

    public static string Timestamp(DateTimeOffset at) => Escape(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));

}
