using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Downloads.Requesting;

public sealed class RequestDownloadTests(TestDatabase db) : DownloadsTestClass(db), IClassFixture<TestDatabase>
{
    private const string Downloads = "/api/v1/downloads";
    private readonly byte[] _weights = Bytes(400_000);

    [Fact]
    public async Task A_hub_reference_registers_a_version_of_the_repos_model_and_downloads_it()
    {
        var org = Org();
        MapHubFile($"{org}/Tiny", "tiny.Q4.gguf", _weights);

        var accepted = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = $"hf:{org}/Tiny/tiny.Q4.gguf" }).ToUrl(Downloads);
            s.StatusCodeShouldBe(202);
        });

        Assert.StartsWith($"{Downloads}/", accepted.Location, StringComparison.Ordinal);
        Assert.Equal((string?)$"{org}/Tiny", accepted.Json.GetProperty("model").GetString());
        Assert.Equal(1, accepted.Json.GetProperty("version").GetInt32());
        Assert.Equal("huggingface", accepted.Json.GetProperty("source").GetProperty("type").GetString());
        var done = await FinishedAsync(accepted.Location!);
        Assert.Equal("succeeded", done.GetProperty("state").GetString());
        Assert.Equal(_weights.Length, done.GetProperty("bytes_done").GetInt64());
        Assert.Equal(_weights.Length, done.GetProperty("bytes_total").GetInt64());
        Assert.Equal(1, done.GetProperty("attempts").GetInt32());

        var version = await ReadyVersionAsync($"{org}/Tiny", 1);
        Assert.Equal($"{org}/Tiny/1/tiny.Q4.gguf", version.GetProperty("local_path").GetString());
        Assert.Equal(Sha256(_weights), version.GetProperty("sha256").GetString());
        Assert.Equal(_weights, await File.ReadAllBytesAsync(Path.Combine(Root, org, "Tiny", "1", "tiny.Q4.gguf")));
        Assert.Equal("Bearer hf_test_token", Server.RequestsTo($"/hub/{org}/Tiny/resolve/main/tiny.Q4.gguf").First().Authorization);
    }

    [Fact]
    public async Task Seed_001s_download_route_takes_a_repo_and_downloads_its_one_model_file()
    {
        var org = Org();
        MapHubFile($"{org}/TinyLlama", "tinyllama.Q4_K_M.gguf", _weights);
        Server.Map($"/hub/api/models/{org}/TinyLlama/revision/main", http => http.Response.WriteAsJsonAsync(new
        {
            siblings = new[] { new { rfilename = ".gitattributes" }, new { rfilename = "tinyllama.Q4_K_M.gguf" } },
        }));

        var accepted = await App.Scenario(s =>
        {
            s.Post.RawJson($$"""{"model_ref": "hf:{{org}}/TinyLlama"}""").ToUrl("/v1/models/download");
            s.StatusCodeShouldBe(202);
        });

        Assert.Equal("succeeded", (await FinishedAsync(accepted.Location!)).GetProperty("state").GetString());
        var version = await ReadyVersionAsync($"{org}/TinyLlama", 1);
        Assert.Equal($"{org}/TinyLlama/1/tinyllama.Q4_K_M.gguf", version.GetProperty("local_path").GetString());
    }

    [Fact]
    public async Task Requesting_the_same_reference_again_adds_the_next_version()
    {
        var org = Org();
        MapHubFile($"{org}/Twice", "w.gguf", _weights);
        var body = new { model_ref = $"hf:{org}/Twice/w.gguf@main" };

        var first = await App.Scenario(s => { s.Post.SnakeJson(body).ToUrl(Downloads); s.StatusCodeShouldBe(202); });
        var second = await App.Scenario(s => { s.Post.SnakeJson(body).ToUrl(Downloads); s.StatusCodeShouldBe(202); });

        Assert.NotEqual(first.Location, second.Location);
        Assert.Equal(2, second.Json.GetProperty("version").GetInt32());
        await FinishedAsync(first.Location!);
        await FinishedAsync(second.Location!);
        await ReadyVersionAsync($"{org}/Twice", 2);
    }

    [Fact]
    public async Task A_url_reference_is_named_after_its_file_unless_a_name_is_given()
    {
        var file = $"yolo{Guid.NewGuid():N}"[..12];
        Server.MapFile($"/files/{file}.onnx", _weights);

        var named = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = Server.Url($"/files/{file}.onnx") }).ToUrl(Downloads);
            s.StatusCodeShouldBe(202);
        });
        var chosen = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = Server.Url($"/files/{file}.onnx"), name = $"vision/{file}" }).ToUrl(Downloads);
            s.StatusCodeShouldBe(202);
        });
        var nameless = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = Server.Url("/") }).ToUrl(Downloads);
            s.StatusCodeShouldBe(400);
        });

        Assert.Equal(file, named.Json.GetProperty("model").GetString());
        Assert.Equal($"vision/{file}", chosen.Json.GetProperty("model").GetString());
        nameless.Problem("name-required");
        Assert.NotEmpty(nameless.FieldErrors("name"));
        await FinishedAsync(named.Location!);
        Assert.Equal("ready", (await ReadyVersionAsync(file, 1)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_version_registered_through_the_catalog_with_a_url_source_is_downloaded()
    {
        var name = $"catalog-{Guid.NewGuid():N}"[..20];
        Server.MapFile($"/files/{name}.safetensors", _weights);

        var registered = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new
            {
                source = new { type = "url", uri = Server.Url($"/files/{name}.safetensors") },
                sha256 = Sha256(_weights),
            }).ToUrl($"/api/v1/models/{name}/versions");
            s.StatusCodeShouldBe(202);
        });

        Assert.Equal("pending", registered.Json.GetProperty("status").GetString());
        var version = await ReadyVersionAsync(name, 1);
        Assert.Equal($"{name}/1/{name}.safetensors", version.GetProperty("local_path").GetString());
        var types = (await App.EventsAsync(name)).Select(e => e.GetType().Name).ToList();
        Assert.Equal(["ModelRegistered", "VersionRegistered", "VersionDownloadStarted", "VersionDownloaded"], types);
    }

    [Fact]
    public async Task A_local_reference_is_registered_ready_without_a_download()
    {
        var path = $"incoming/{Guid.NewGuid():N}.gguf";
        Directory.CreateDirectory(Path.Combine(Root, "incoming"));
        await File.WriteAllBytesAsync(Path.Combine(Root, path), _weights);

        var created = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = $"local:{path}", name = "local-" + Guid.NewGuid().ToString("N")[..8] }).ToUrl(Downloads);
            s.StatusCodeShouldBe(201);
        });

        Assert.Equal("ready", created.Json.GetProperty("status").GetString());
        Assert.Equal(Sha256(_weights), created.Json.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task A_download_never_replaces_a_file_another_version_points_at()
    {
        var victim = $"victim-{Guid.NewGuid():N}"[..15];
        var other = await RegisterLocalAsync($"{victim}/1/model.gguf", "another version's weights"u8.ToArray());
        Server.MapFile($"/files/{victim}/model.gguf", _weights);

        var accepted = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = Server.Url($"/files/{victim}/model.gguf"), name = victim }).ToUrl(Downloads);
            s.StatusCodeShouldBe(202);
        });

        Assert.Equal("succeeded", (await FinishedAsync(accepted.Location!)).GetProperty("state").GetString());
        var downloaded = await ReadyVersionAsync(victim, 1);
        Assert.Equal($"{victim}/1/model-2.gguf", downloaded.GetProperty("local_path").GetString());
        Assert.Equal(_weights, await File.ReadAllBytesAsync(Path.Combine(Root, victim, "1", "model-2.gguf")));
        Assert.Equal("another version's weights"u8.ToArray(), await File.ReadAllBytesAsync(Path.Combine(Root, victim, "1", "model.gguf")));
        var verified = await App.Scenario(s => { s.Post.Url($"/api/v1/models/{other}/versions/1/verify"); s.StatusCodeShouldBe(200); });
        Assert.Equal("ready", verified.Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_download_never_overwrites_a_file_no_version_points_at()
    {
        var name = $"user-{Guid.NewGuid():N}"[..13];
        Directory.CreateDirectory(Path.Combine(Root, name, "1"));
        await File.WriteAllTextAsync(Path.Combine(Root, name, "1", "w.onnx"), "the user's own file");
        Server.MapFile($"/files/{name}/w.onnx", _weights);

        var accepted = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = Server.Url($"/files/{name}/w.onnx"), name }).ToUrl(Downloads);
            s.StatusCodeShouldBe(202);
        });

        await FinishedAsync(accepted.Location!);
        Assert.Equal($"{name}/1/w-2.onnx", (await ReadyVersionAsync(name, 1)).GetProperty("local_path").GetString());
        Assert.Equal("the user's own file", await File.ReadAllTextAsync(Path.Combine(Root, name, "1", "w.onnx")));
    }

    [Fact]
    public async Task A_download_does_not_publish_where_a_version_expects_a_missing_file_in_any_letter_case()
    {
        var victim = $"victim-{Guid.NewGuid():N}"[..15];
        await RegisterLocalAsync($"{victim}/1/model.gguf", "moved away for a moment"u8.ToArray());
        File.Delete(Path.Combine(Root, victim, "1", "model.gguf"));
        var upper = victim.ToUpperInvariant();
        Server.MapFile($"/files/{victim}/model.gguf", _weights);

        var accepted = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = Server.Url($"/files/{victim}/model.gguf"), name = upper }).ToUrl(Downloads);
            s.StatusCodeShouldBe(202);
        });

        await FinishedAsync(accepted.Location!);
        Assert.Equal($"{upper}/1/model-2.gguf", (await ReadyVersionAsync(upper, 1)).GetProperty("local_path").GetString());
    }

    [Theory]
    [InlineData("s3://bucket/model.gguf")]
    [InlineData("hf:")]
    [InlineData("hf:org/repo@")]
    [InlineData("hf:../etc")]
    [InlineData("hf:org/repo/../../etc/passwd")]
    [InlineData("hf:org/repo/file.gguf@bad..rev")]
    [InlineData("TheBloke/TinyLlama")]
    [InlineData("")]
    public async Task A_malformed_reference_is_a_400_on_model_ref(string reference)
    {
        var refused = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = reference, name = "never-created" }).ToUrl(Downloads);
            s.StatusCodeShouldBe(400);
        });

        Assert.NotEmpty(refused.FieldErrors("model_ref"));
        Assert.Empty(await App.EventsAsync("never-created"));
    }

    [Theory]
    [InlineData("http://127.0.0.1:{database}/x.gguf", "port-not-allowed")]
    [InlineData("http://10.0.0.1/x.gguf", "host-not-allowed")]
    public async Task A_url_downloads_may_not_reach_is_a_400_on_model_ref_and_registers_nothing(string url, string code)
    {
        var target = url.Replace("{database}", DatabasePort(), StringComparison.Ordinal);

        var refused = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = target, name = "never-downloaded" }).ToUrl(Downloads);
            s.StatusCodeShouldBe(400);
        });
        var registered = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "url", uri = target } }).ToUrl("/api/v1/models/never-downloaded/versions");
            s.StatusCodeShouldBe(400);
        });

        refused.Problem(code);
        Assert.NotEmpty(refused.FieldErrors("model_ref"));
        registered.Problem(code);
        Assert.NotEmpty(registered.FieldErrors("source.uri"));
        Assert.Empty(await App.EventsAsync("never-downloaded"));
    }

    [Fact]
    public async Task A_local_reference_outside_the_storage_root_is_a_400_on_model_ref()
    {
        var refused = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = "local:../outside.gguf", name = "outside" }).ToUrl(Downloads);
            s.StatusCodeShouldBe(400);
        });

        Assert.NotEmpty(refused.FieldErrors("model_ref"));
    }

    [Fact]
    public async Task Requesting_a_download_needs_credentials()
    {
        var refused = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = "hf:org/repo" }).ToUrl(Downloads);
            s.Anonymous();
            s.StatusCodeShouldBe(401);
        });

        refused.Problem("unauthorized");
    }

    private void MapHubFile(string repo, string file, byte[] content)
    {
        Server.MapRedirect($"/hub/{repo}/resolve/main/{file}", $"/lfs/{repo}/{file}", headers:
        [
            ("X-Repo-Commit", "4f2b7c1e9a0d3b5c6e7f8a9b0c1d2e3f4a5b6c7d"),
            ("X-Linked-Etag", $"\"{Sha256(content)}\""),
            ("X-Linked-Size", content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ]);
        Server.MapFile($"/lfs/{repo}/{file}", content);
    }

    /// <summary>Writes a file under the root and registers it as version 1 of a model of its own; the model's name.</summary>
    private async Task<string> RegisterLocalAsync(string path, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Root, path))!);
        await File.WriteAllBytesAsync(Path.Combine(Root, path), content);
        var name = $"other-{Guid.NewGuid():N}"[..14];
        await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri = path } }).ToUrl($"/api/v1/models/{name}/versions");
            s.StatusCodeShouldBe(201);
        });
        return name;
    }

    private async Task<JsonElement> FinishedAsync(string location)
    {
        JsonElement download = default;
        await Eventually.HoldsAsync(async () =>
        {
            download = (await App.GetAsync(location)).Json;
            return download.GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled";
        }, () => download.ToString());
        return download;
    }

    private async Task<JsonElement> ReadyVersionAsync(string name, int version)
    {
        JsonElement found = default;
        await Eventually.HoldsAsync(async () =>
        {
            var response = await App.GetAsync($"/api/v1/models/{name}/versions/{version}");
            found = response.Status == StatusCodes.Status200OK ? response.Json : default;
            return found.ValueKind == JsonValueKind.Object && found.GetProperty("status").GetString() == "ready";
        }, () => found.ToString());
        return found;
    }

    private string DatabasePort() => new Npgsql.NpgsqlConnectionStringBuilder(Database.ConnectionString).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Org() => $"org{Guid.NewGuid():N}"[..11];

    private static byte[] Bytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    private static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
