using Alba;
using ModelRegistry.IntegrationTests.Infrastructure;
using static ModelRegistry.IntegrationTests.Catalog.CatalogScenarios;

namespace ModelRegistry.IntegrationTests.Security;

/// <summary>
/// One corpus of hostile paths, tried on every input that becomes a path: a local source's uri, a hub file name (in a
/// catalog source and in a download reference) and a by-path lookup. Each is refused, the problem names no server path,
/// and nothing outside the storage root is read or created.
/// </summary>
public sealed class PathCorpusTests(RegistryFixture fixture) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly string _outside = Directory.CreateTempSubdirectory("mr-outside-").FullName;

    public static TheoryData<string> Corpus()
    {
        var corpus = new TheoryData<string>
        {
            "../secret.gguf", "..\\secret.gguf", "sub/../../secret.gguf", "%2e%2e/secret.gguf", "%2E%2E%2Fsecret.gguf",
            "%252e%252e%252fsecret.gguf", "..%2fsecret.gguf", "..%5csecret.gguf", "/etc/passwd", "C:\\Windows\\win.ini",
            "\\\\server\\share\\secret.gguf", "//server/share/secret.gguf", "model.gguf\0.txt", "model.gguf#fragment",
            "model.gguf?x=1", "..", ".", "", " ", "file:///etc/passwd", "~/secret.gguf", "a/./../../secret.gguf",
            new string('a', 5000) + ".gguf", string.Join('/', Enumerable.Repeat("..", 64)) + "/etc/passwd",
        };
        return corpus;
    }

    public void Dispose() => Directory.Delete(_outside, recursive: true);

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task A_local_source_with_a_hostile_uri_is_a_400_and_appends_nothing(string uri)
    {
        var name = NewName();

        var refused = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "local", uri = Outside(uri) } }).ToUrl($"{Models}/{name}/versions");
            s.IgnoreStatusCode();
        });

        AssertRefused(refused);
        Assert.Empty(await App.StreamAsync(name));
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task A_hub_file_name_that_is_a_hostile_path_is_a_400_and_appends_nothing(string file)
    {
        var name = NewName();

        var refused = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { source = new { type = "huggingface", uri = "org/repo", file } }).ToUrl($"{Models}/{name}/versions");
            s.IgnoreStatusCode();
        });

        AssertRefused(refused);
        Assert.Empty(await App.StreamAsync(name));
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task A_download_reference_naming_a_hostile_hub_file_is_a_400(string file)
    {
        var refused = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = $"hf:org/repo/{file}" }).ToUrl("/api/v1/downloads");
            s.IgnoreStatusCode();
        });

        AssertRefused(refused);
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task A_lookup_by_a_hostile_path_finds_nothing(string path)
    {
        var response = await App.Scenario(s => { s.Get.Url($"{Models}/by-path?path={Uri.EscapeDataString(Outside(path))}"); s.IgnoreStatusCode(); });

        Assert.Contains(response.Status, new[] { 400, 404 });
        AssertNamesNoServerPath(response);
    }

    private RegistryApp App => fixture.App;

    // Absolute paths of the corpus point into a folder of the test's own, beside the root, so a leak would show there.
    private string Outside(string path) => path.StartsWith('/') && !path.StartsWith("//", StringComparison.Ordinal) ? _outside + path : path;

    private void AssertRefused(IScenarioResult refused)
    {
        Assert.True(refused.Status == 400, $"{refused.Status}: {refused.Text}");
        Assert.Equal("application/problem+json", refused.ContentType);
        AssertNamesNoServerPath(refused);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(fixture.StorageRoot)!, "secret*"));
    }

    private void AssertNamesNoServerPath(IScenarioResult response)
    {
        Assert.DoesNotContain(fixture.StorageRoot, response.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", response.Text, StringComparison.Ordinal);
    }
}
