using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Registering;
using Marten;
using Wolverine;
using ModelRegistry.IntegrationTests.Infrastructure;
using Npgsql;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Catalog.Registering;

public sealed class RegisterVersionTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly string _outsideRoot = Directory.CreateTempSubdirectory("mr-outside-").FullName;

    private RegistryApp App => fixture.App;

    public void Dispose() => Directory.Delete(_outsideRoot, recursive: true);

    [Fact]
    public async Task A_local_file_is_registered_ready_with_201_its_location_size_and_sha256()
    {
        var name = NewName();
        await App.RegisterModel(name);
        var file = App.WriteFile($"{name}/weights/model.gguf", "gguf weights");

        var response = await App.Scenario(s =>
        {
            s.Post
                .SnakeJson(new { source = new { type = "local", uri = file }, metadata = new { description = "q4" } })
                .ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(201);
        });

        Assert.Equal($"{Models}/{name}/versions/1", response.Location);
        Assert.Equal("\"2\"", response.ETag);
        var version = response.Json;
        Assert.Equal(1, version.Int("version"));
        Assert.Equal("ready", version.Str("status"));
        Assert.Equal("staging", version.Str("stage"));
        Assert.Equal("gguf", version.Str("format"));
        Assert.Equal(file, version.Str("local_path"));
        Assert.Equal(Encoding.UTF8.GetByteCount("gguf weights"), version.GetProperty("size_bytes").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("gguf weights"))), version.Str("sha256"));
        var registered = (VersionRegistered)(await App.StreamAsync(name))[^1].Data;
        Assert.Equal(ArtifactStatus.Ready, registered.Status);
        Assert.Equal(file, registered.LocalPath);
    }

    [Theory]
    [InlineData("local")]
    [InlineData("url")]
    public async Task The_answer_to_a_registration_is_the_version_as_reading_it_returns(string sourceType)
    {
        var name = NewName("Org") + "/" + NewName("Model");
        await App.RegisterModel(name);
        var uri = sourceType == "local" ? App.WriteFile($"{name}/m.safetensors", "tensors") : "https://models.example/m.safetensors?x=1";
        var metadata = new { description = "fp16", metrics = new { top1 = 0.91, f1 = 0.5 }, architecture = "vit", context_length = 4096,
            tags = new { team = "vision", env = "eu" } };

        var registered = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = sourceType, uri }, metadata }).ToUrl($"{Models}/{name.ToUpperInvariant()}/versions");
            s.StatusCodeShouldBe(sourceType == "local" ? 201 : 202);
        });
        var read = await App.Scenario(s => { s.Get.Url(registered.Location!); s.StatusCodeShouldBe(200); });

        Assert.Equal(read.Text, registered.Text);
        Assert.Equal(name, registered.Json.Str("name"));
    }

    [Fact]
    public async Task A_version_of_an_unknown_model_registers_the_model_in_the_same_append()
    {
        var name = NewName();

        await App.RegisterLocalVersion(name);

        var events = await App.StreamAsync(name);
        Assert.Equal(["ModelRegistered", "VersionRegistered"], events.Types());
        Assert.Equal((events[0].UserName, events[0].CorrelationId, events[0].CausationId), (events[1].UserName, events[1].CorrelationId, events[1].CausationId));
        Assert.Equal(events[0].Timestamp, events[1].Timestamp);
    }

    [Theory]
    [InlineData("{0}/{1}", "{0}/{1}")]
    [InlineData("{0}%2F{1}", "{0}/{1}")]
    [InlineData("{0}%2f{1}", "{0}/{1}")]
    [InlineData("{1}", "{1}")]
    public async Task Names_route_with_and_without_a_namespace_and_with_an_encoded_slash(string urlForm, string nameForm)
    {
        var (org, model) = (NewName("org"), NewName());
        var name = string.Format(System.Globalization.CultureInfo.InvariantCulture, nameForm, org, model);
        var inUrl = string.Format(System.Globalization.CultureInfo.InvariantCulture, urlForm, org, model);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri = "https://x.example/m.onnx" } }).ToUrl($"{Models}/{inUrl}/versions");
            s.StatusCodeShouldBe(202);
        });

        Assert.Equal($"{Models}/{name}/versions/1", response.Location);
        Assert.Equal(name, response.Json.Str("name"));
        Assert.Equal(2, (await App.StreamAsync(name)).Count);
    }

    [Fact]
    public async Task A_url_source_is_registered_pending_with_202_and_its_location()
    {
        var name = NewName();

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri = "https://models.example/yolo.onnx" } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(202);
        });

        Assert.Equal($"{Models}/{name}/versions/1", response.Location);
        Assert.Equal("pending", response.Json.Str("status"));
        Assert.Equal("onnx", response.Json.Str("format"));
        Assert.Null(response.Json.Str("local_path"));
    }

    [Fact]
    public async Task A_huggingface_source_defaults_to_revision_main()
    {
        var name = NewName();

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new
            {
                source = new { type = "huggingface", uri = "TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF", file = "tinyllama.Q4_K_M.gguf" },
            }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(202);
        });

        Assert.Equal("main", response.Json.GetProperty("source").Str("revision"));
        Assert.Equal("gguf", response.Json.Str("format"));
    }

    [Fact]
    public async Task An_explicit_version_that_exists_is_a_409()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name, version: 3);

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { version = 3, source = new { type = "url", uri = "https://x.example/m.onnx" } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(409);
        });

        response.Problem("duplicate-version");
    }

    [Fact]
    public async Task An_explicit_version_above_a_billion_is_a_400_on_version_and_auto_numbering_goes_on()
    {
        var name = NewName();
        await App.RegisterLocalVersion(name, version: 1_000_000_000);

        var refused = await App.Scenario(s =>
        {
            s.Post
                .SnakeJson(new { version = int.MaxValue, source = new { type = "url", uri = "https://x.example/m.onnx" } })
                .ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(400);
        });
        var next = await App.RegisterLocalVersion(name);

        refused.Problem("version-out-of-range");
        Assert.NotEmpty(refused.FieldErrors("version"));
        Assert.Equal(1_000_000_001, next.Json.Int("version"));
    }

    [Theory]
    [InlineData(" https://x.example/m.onnx")]
    [InlineData("https://x.example/m.onnx ")]
    public async Task A_url_with_white_space_around_it_is_a_400_on_source_uri(string uri)
    {
        var name = NewName();

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(400);
        });

        Assert.NotEmpty(response.FieldErrors("source.uri"));
        Assert.Empty(await App.StreamAsync(name));
    }

    [Fact]
    public async Task Registering_a_file_a_version_has_already_answers_and_shows_that_version_as_duplicate_of()
    {
        var name = NewName();
        var first = App.WriteFile($"{name}/a/model.gguf", "same weights");
        var copy = App.WriteFile($"{name}/b/model.gguf", "same weights");
        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri = first } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(201);
        });
        var other = await App.RegisterLocalVersion(name);

        var duplicate = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri = copy } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(201);
        });

        Assert.Equal(3, duplicate.Json.Int("version"));
        Assert.Equal(1, duplicate.Json.Int("duplicate_of"));
        Assert.Equal(1, (await App.Scenario(s => { s.Get.Url($"{Models}/{name}/versions/3"); s.StatusCodeShouldBe(200); })).Json.Int("duplicate_of"));
        Assert.Equal(JsonValueKind.Null, other.Json.GetProperty("duplicate_of").ValueKind);
    }

    [Fact]
    public async Task With_if_new_content_a_file_a_version_has_already_answers_that_version_with_200_and_appends_nothing()
    {
        var name = NewName();
        var file = App.WriteFile($"{name}/model.gguf", "weights once");
        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri = file } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(201);
        });
        var before = (await App.StreamAsync(name)).Count;

        var local = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri = file }, if_new_content = true }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(200);
        });
        var remote = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new
            {
                source = new { type = "url", uri = "https://x.example/model.gguf" },
                sha256 = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("weights once"))),
                if_new_content = true,
            }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(200);
        });

        Assert.Equal((1, 1), (local.Json.Int("version"), remote.Json.Int("version")));
        Assert.Null(local.Location);
        Assert.Equal(before, (await App.StreamAsync(name)).Count);
    }

    [Fact]
    public async Task A_sha256_that_does_not_match_the_local_file_is_a_400_on_sha256()
    {
        var name = NewName();
        var file = App.WriteFile($"{name}/model.onnx");

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri = file }, sha256 = new string('0', 64) }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(400);
        });

        response.Problem("sha256-mismatch");
        Assert.NotEmpty(response.FieldErrors("sha256"));
        Assert.Empty(await App.StreamAsync(name));
    }

    [Fact]
    public async Task A_name_in_the_url_that_breaks_the_rules_is_a_400_on_name()
    {
        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri = "https://x.example/m.onnx" } }).ToUrl($"{Models}/a%2Fb%2Fc/versions");
            s.StatusCodeShouldBe(400);
        });

        Assert.NotEmpty(response.FieldErrors("name"));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("..\\x")]
    [InlineData("%2e%2e/x")]
    [InlineData("%252e%252e/x")]
    [InlineData("/etc/passwd")]
    [InlineData("C:\\x")]
    [InlineData("\\\\server\\share\\x")]
    [InlineData("a\0b")]
    [InlineData("sub/../../x")]
    [InlineData("./x")]
    [InlineData("a//b")]
    [InlineData("file:///etc/passwd")]
    public async Task A_local_source_that_could_leave_the_storage_root_is_a_400_on_source_uri_and_appends_nothing(string uri)
    {
        var name = NewName();

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(400);
        });

        Assert.NotEmpty(response.FieldErrors("source.uri"));
        Assert.Empty(await App.StreamAsync(name));
    }

    [Fact]
    public async Task A_symlink_that_leads_out_of_the_root_is_a_400()
    {
        var outside = Path.Combine(_outsideRoot, $"outside-{Guid.NewGuid():N}.gguf");
        await File.WriteAllTextAsync(outside, "secret");
        var link = $"links/{Guid.NewGuid():N}.gguf";
        Directory.CreateDirectory(Path.Combine(App.StorageRoot, "links"));
        File.CreateSymbolicLink(Path.Combine(App.StorageRoot, link), outside);

        await AssertRefused(link);
    }

    [Fact]
    public async Task A_symlinked_directory_along_the_path_that_leads_out_of_the_root_is_a_400()
    {
        var outsideDir = Directory.CreateDirectory(Path.Combine(_outsideRoot, $"dir-{Guid.NewGuid():N}")).FullName;
        await File.WriteAllTextAsync(Path.Combine(outsideDir, "model.gguf"), "secret");
        var linkDir = $"dirlink-{Guid.NewGuid():N}";
        Directory.CreateSymbolicLink(Path.Combine(App.StorageRoot, linkDir), outsideDir);

        await AssertRefused($"{linkDir}/model.gguf");
    }

    [Fact]
    public async Task A_symlink_that_stays_inside_the_root_is_followed()
    {
        var name = NewName();
        var target = App.WriteFile($"{name}/real.gguf", "real weights");
        var link = $"{name}/alias.gguf";
        File.CreateSymbolicLink(Path.Combine(App.StorageRoot, link), Path.Combine(App.StorageRoot, target));

        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri = link } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(201);
        });

        Assert.Equal(link, response.Json.Str("local_path"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("real weights"))), response.Json.Str("sha256"));
    }

    [Fact]
    public async Task A_directory_is_a_400()
    {
        var dir = $"dir-{Guid.NewGuid():N}";
        Directory.CreateDirectory(Path.Combine(App.StorageRoot, dir));

        await AssertRefused(dir);
    }

    [Fact]
    public async Task A_missing_file_is_a_400() => await AssertRefused($"missing-{Guid.NewGuid():N}.gguf");

    [Fact]
    public async Task A_fifo_is_a_400_and_is_never_opened()
    {
        var fifo = $"fifo-{Guid.NewGuid():N}";
        using (var mkfifo = Process.Start("mkfifo", Path.Combine(App.StorageRoot, fifo)))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        await AssertRefused(fifo);
    }

    [Fact]
    public async Task A_file_url_is_accepted_only_when_the_configuration_allows_it()
    {
        var outside = Path.Combine(_outsideRoot, $"file-url-{Guid.NewGuid():N}.onnx");
        await File.WriteAllTextAsync(outside, "onnx");
        var body = new { source = new { type = "local", uri = new Uri(outside).AbsoluteUri } };
        var refused = await App.Scenario(s => { s.Post.SnakeJson(body).ToUrl($"{Models}/{NewName()}/versions"); s.StatusCodeShouldBe(400); });
        await using var allowing = await fixture.StartAsync(new Dictionary<string, string?> { ["Registry:Downloads:AllowFileUrls"] = "true" });

        var accepted = await allowing.Scenario(s => { s.Post.SnakeJson(body).ToUrl($"{Models}/{NewName()}/versions"); s.StatusCodeShouldBe(201); });

        refused.Problem("file-urls-not-allowed");
        Assert.Equal(outside, accepted.Json.Str("local_path"));
        Assert.Equal("ready", accepted.Json.Str("status"));
    }

    [Fact]
    public async Task A_remote_version_queues_its_download_in_the_append_transaction()
    {
        var queue = new RecordingQueue();
        await using var app = await RegistryApp.StartAsync(fixture.Database.ConnectionString, fixture.StorageRoot,
            services: s => s.AddSingleton<IVersionDownloadQueue>(queue));
        var name = NewName();

        await app.Scenario(s =>
        {
            s.Post
                .SnakeJson(new { source = new { type = "url", uri = "https://x.example/m.onnx" }, sha256 = new string('a', 64) })
                .ToUrl($"{Models}/{name}/versions");
            s.WithRequestHeader("X-Correlation-Id", "queue-1");
            s.StatusCodeShouldBe(202);
        });
        await app.RegisterLocalVersion(name);

        var request = Assert.Single(queue.Requests);
        Assert.Equal(name, request.ModelName);
        Assert.Equal(1, request.Version);
        Assert.Equal(new string('a', 64), request.Sha256);
        Assert.Equal("admin", request.Actor);
        Assert.Equal("queue-1", request.CorrelationId);
        Assert.True(queue.SawOpenTransaction);
    }

    private async Task AssertRefused(string uri)
    {
        var name = NewName();
        var response = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri } }).ToUrl($"{Models}/{name}/versions");
            s.StatusCodeShouldBe(400);
        });
        Assert.NotEmpty(response.FieldErrors("source.uri"));
        Assert.Empty(await App.StreamAsync(name));
    }

    private sealed class RecordingQueue : IVersionDownloadQueue
    {
        public List<VersionDownloadRequest> Requests { get; } = [];

        public bool SawOpenTransaction { get; private set; }

        public ValueTask EnqueueAsync(IDocumentSession session, IMessageContext bus, VersionDownloadRequest request)
        {
            // The registration's events are pending in the very session the download is queued in, so both commit together.
            SawOpenTransaction = session.PendingChanges.Streams().SelectMany(s => s.Events).Select(e => e.EventTypeName)
                .SequenceEqual(["ModelRegistered", "VersionRegistered"]);
            Requests.Add(request);
            return ValueTask.CompletedTask;
        }
    }
}
