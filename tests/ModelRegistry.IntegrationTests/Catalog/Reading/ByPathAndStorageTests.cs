using System.Net;
using System.Text.Json;
using ModelRegistry.Catalog;
using ModelRegistry.Catalog.Integrity;

namespace ModelRegistry.IntegrationTests.Catalog.Reading;

public sealed class ByPathAndStorageTests(ReadingApp app) : IClassFixture<ReadingApp>
{
    [Fact]
    public async Task A_path_relative_to_the_storage_root_finds_its_version()
    {
        await app.RegisterAsync("Path/Model");
        await app.AddLocalVersionAsync("Path/Model", "path/model-v1.gguf");
        await app.AddLocalVersionAsync("Path/Model", "path/model-v2.gguf");

        var version = await app.GetAsync($"/api/v1/models/by-path?path={ReadingApp.Escape("path/model-v2.gguf")}");

        Assert.Equal(("Path/Model", 2, "local", "path/model-v2.gguf"), (version.GetProperty("name").GetString(), version.GetProperty("version").GetInt32(),
            version.GetProperty("source_type").GetString(), version.GetProperty("source_uri").GetString()));
    }

    [Theory]
    [InlineData("./spelled/weights.gguf")]
    [InlineData("spelled//weights.gguf")]
    [InlineData("{root}/spelled/weights.gguf")]
    [InlineData("{root}//spelled/./weights.gguf")]
    public async Task A_path_is_normalized_before_the_lookup(string spelled)
    {
        await app.EnsureRegisteredAsync("spelled");
        if ((await app.Client.GetAsync("/api/v1/models/spelled/versions/1")).StatusCode == HttpStatusCode.NotFound)
        {
            await app.AddLocalVersionAsync("spelled", "spelled/weights.gguf");
        }

        var version = await app.GetAsync($"/api/v1/models/by-path?path={ReadingApp.Escape(spelled.Replace("{root}", app.StorageRoot, StringComparison.Ordinal))}");

        Assert.Equal(("spelled", 1), (version.GetProperty("name").GetString(), version.GetProperty("version").GetInt32()));
    }

    [Fact]
    public async Task A_downloaded_file_is_found_by_the_path_it_was_stored_at_with_its_original_source()
    {
        await app.RegisterAsync("TheBloke/Downloaded");
        await app.AddRemoteVersionAsync("TheBloke/Downloaded", SourceType.Huggingface, "TheBloke/Downloaded-GGUF", "model.Q4.gguf");
        await app.DownloadAsync("TheBloke/Downloaded", 1, "hf/TheBloke/Downloaded-GGUF/model.Q4.gguf", 1234, ReadingApp.Sha256Of("q4"));

        var version = await app.GetAsync("/api/v1/models/by-path?path=hf/TheBloke/Downloaded-GGUF/model.Q4.gguf");

        Assert.Equal(("TheBloke/Downloaded", "huggingface", "TheBloke/Downloaded-GGUF", "ready", 1234L),
            (version.GetProperty("name").GetString(), version.GetProperty("source_type").GetString(), version.GetProperty("source_uri").GetString(),
                version.GetProperty("status").GetString(), version.GetProperty("size_bytes").GetInt64()));
    }

    [Fact]
    public async Task An_unknown_path_is_a_404_problem() =>
        Assert.EndsWith("/path-not-found", (await app.GetAsync("/api/v1/models/by-path?path=nothing/here.gguf", HttpStatusCode.NotFound)).GetProperty("type").GetString());

    [Theory]
    [InlineData("/api/v1/models/by-path?path=..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/api/v1/models/by-path?path=a%2F..%2F..%2Fb")]
    [InlineData("/api/v1/models/by-path?path=%2Fetc%2Fpasswd")]
    [InlineData("/api/v1/models/by-path?path=a%5C..%5Cb")]
    [InlineData("/api/v1/models/by-path?path=a%00b")]
    [InlineData("/api/v1/models/by-path?path=")]
    [InlineData("/api/v1/models/by-path")]
    public async Task Traversal_and_paths_outside_the_storage_root_are_400_problems(string url) => await app.ExpectInvalidAsync(url, "path");

    [Fact]
    public async Task Storage_counts_the_bytes_of_files_on_disk_once_per_file_per_model_and_per_source_type()
    {
        var before = await app.GetAsync("/api/v1/storage");
        await app.RegisterAsync("storage/local");
        await app.AddLocalVersionAsync("storage/local", "storage/shared.gguf", content: "0123456789");
        await app.AddLocalVersionAsync("storage/local", "storage/shared.gguf", content: "0123456789");
        await app.RegisterAsync("storage/remote");
        await app.AddRemoteVersionAsync("storage/remote", SourceType.Url, "https://example.com/a.onnx");
        await app.DownloadAsync("storage/remote", 1, "storage/a.onnx", 1000, ReadingApp.Sha256Of("a"));
        await app.AddRemoteVersionAsync("storage/remote", SourceType.Huggingface, "org/repo", "pending.gguf");
        await app.AddRemoteVersionAsync("storage/remote", SourceType.Url, "https://example.com/gone.onnx");
        await app.DownloadAsync("storage/remote", 3, "storage/gone.onnx", 500, ReadingApp.Sha256Of("gone"));
        await app.RunAsync(new RecordIntegrity("storage/remote", 3, new FileFound.Nothing()) { Context = ReadingApp.By("alice") });

        var after = await app.GetAsync("/api/v1/storage");

        Assert.Equal(["total_bytes", "files", "models", "source_types"], after.EnumerateObject().Select(p => p.Name));
        Assert.Equal(1010, after.GetProperty("total_bytes").GetInt64() - before.GetProperty("total_bytes").GetInt64());
        Assert.Equal(2, after.GetProperty("files").GetInt64() - before.GetProperty("files").GetInt64());
        var models = after.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal((10L, 1L), (models["storage/local"].GetProperty("bytes").GetInt64(), models["storage/local"].GetProperty("files").GetInt64()));
        Assert.Equal((1000L, 1L), (models["storage/remote"].GetProperty("bytes").GetInt64(), models["storage/remote"].GetProperty("files").GetInt64()));
        Assert.Equal(10, BySource(after, "local") - BySource(before, "local"));
        Assert.Equal(1000, BySource(after, "url") - BySource(before, "url"));
        Assert.Equal(0, BySource(after, "huggingface") - BySource(before, "huggingface"));
    }

    private static long BySource(JsonElement storage, string type) =>
        storage.GetProperty("source_types").EnumerateArray().Single(s => s.GetProperty("source_type").GetString() == type).GetProperty("bytes").GetInt64();
}
