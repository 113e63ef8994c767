using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ModelRegistry.Catalog;
using JasperFx.Events.Projections;
using Marten;
using ModelRegistry.IntegrationTests.Downloads;
using ModelRegistry.IntegrationTests.EventStore.OnMarten;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Downloads.Scanning;

public sealed class ScanStorageTests(TestDatabase db) : DownloadsTestClass(db), IClassFixture<TestDatabase>
{
    private const string Scan = "/api/v1/scan";
    private readonly string _outside = Directory.CreateTempSubdirectory("mr-scan-outside-").FullName;

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_outside, recursive: true);
    }

    [Fact]
    public async Task A_scan_registers_each_unknown_model_file_as_a_ready_local_version_of_the_model_named_by_its_directory()
    {
        var model = Name();
        var top = Name();
        Write($"{model}/weights.Q4.gguf", "q4");
        Write($"{model}/weights.Q8.gguf", "q8");
        Write($"{top}.onnx", "onnx");

        var report = (await App.Scenario(s => { s.Post.Url(Scan); s.StatusCodeShouldBe(200); })).Json;

        var registered = report.GetProperty("registered").EnumerateArray()
            .Select(r => (r.GetProperty("name").GetString()!, r.GetProperty("version").GetInt32(), r.GetProperty("local_path").GetString()!,
                r.GetProperty("sha256").GetString()!, r.GetProperty("format").GetString()!))
            .OrderBy(r => r.Item3, StringComparer.Ordinal);
        Assert.Equal(
            new[]
            {
                (model, 1, $"{model}/weights.Q4.gguf", Sha256("q4"), "gguf"), (model, 2, $"{model}/weights.Q8.gguf", Sha256("q8"), "gguf"),
                (top, 1, $"{top}.onnx", Sha256("onnx"), "onnx"),
            }.OrderBy(r => r.Item3, StringComparer.Ordinal),
            registered);
        var version = (await App.GetAsync($"/api/v1/models/by-path?path={model}/weights.Q8.gguf")).Json;
        Assert.Equal(("ready", "local", $"{model}/weights.Q8.gguf", 2L),
            (version.GetProperty("status").GetString(), version.GetProperty("source_type").GetString(), version.GetProperty("source_uri").GetString(),
                version.GetProperty("size_bytes").GetInt64()));
        Assert.Equal("admin", version.GetProperty("created_by").GetString());
    }

    [Fact]
    public async Task A_scan_passes_over_blobs_partial_downloads_hidden_files_and_files_that_are_not_models()
    {
        var model = Name();
        Write($"blobs/sha256/{Sha256("blob")}", "blob");
        Write($"blobs/{model}.gguf", "a blob-store file with a model's name");
        Write($".incomplete/{Guid.NewGuid()}.incomplete", "partial");
        Write($"{model}/.hidden.gguf", "hidden");
        Write($"{model}/weights.gguf.incomplete", "partial");
        Write($"{model}/README.md", "readme");
        Write($"{model}/config.json", "{}");

        var report = (await App.Scenario(s => { s.Post.Url(Scan); s.StatusCodeShouldBe(200); })).Json;

        Assert.Empty(report.GetProperty("registered").EnumerateArray());
        Assert.Equal(3, report.GetProperty("ignored").GetInt32());
        Assert.Equal(0, report.GetProperty("skipped").GetInt32());
        Assert.Equal(404, (await App.GetAsync($"/api/v1/models/{model}")).Status);
    }

    [Fact]
    public async Task A_second_scan_registers_nothing()
    {
        var model = Name();
        Write($"{model}/weights.gguf", "weights");
        await App.Scenario(s => { s.Post.Url(Scan); s.StatusCodeShouldBe(200); });

        var again = (await App.Scenario(s => { s.Post.Url(Scan); s.StatusCodeShouldBe(200); })).Json;

        Assert.Empty(again.GetProperty("registered").EnumerateArray());
        Assert.True(again.GetProperty("known").GetInt32() >= 1);
        Assert.Equal([typeof(ModelRegistered), typeof(VersionRegistered)], (await App.EventsAsync(model)).Select(e => e.GetType()));
    }

    [Fact]
    public async Task Two_scans_at_once_on_two_instances_register_a_new_file_once()
    {
        var model = Name();
        var path = $"{model}/weights.gguf";
        Write(path, "weights");
        // The other instance's append of that file waits, uncommitted, until both scans are under way.
        await using var holding = await RegistryApp.StartAsync(Database.ConnectionString, Root,
            new Dictionary<string, string?> { ["Registry:Durability:Mode"] = "Balanced" },
            services => services.ConfigureMarten(o => o.Projections.Add(
                new TransactionHold(e => e is VersionRegistered { LocalPath: var registered } && registered == path), ProjectionLifecycle.Inline, "scan_hold")));
        await using var gate = await TransactionHold.CloseGateAsync(Database);

        var first = holding.Scenario(s => { s.Post.Url(Scan); s.StatusCodeShouldBe(200); });
        await gate.WaitForBlockedAsync(1);
        var second = App.Scenario(s => { s.Post.Url(Scan); s.StatusCodeShouldBe(200); });
        await gate.WaitForBlockedAsync(2);
        await gate.OpenAsync();
        var reports = (await Task.WhenAll(first, second)).Select(r => r.Json).ToList();

        Assert.Single(reports.SelectMany(r => r.GetProperty("registered").EnumerateArray()), r => r.GetProperty("local_path").GetString() == path);
        Assert.DoesNotContain(reports.SelectMany(Skipped), s => s.Item1 == path);
        Assert.Equal([typeof(ModelRegistered), typeof(VersionRegistered)], (await App.EventsAsync(model)).Select(e => e.GetType()));
    }

    [Fact]
    public async Task A_copy_of_a_versions_file_in_its_model_is_a_version_of_its_own_that_names_the_first()
    {
        var model = Name();
        Write($"{model}/first.gguf", "weights");
        Write($"{model}/second.gguf", "weights");

        var report = (await App.Scenario(s => { s.Post.Url(Scan); s.StatusCodeShouldBe(200); })).Json;

        Assert.Equal([$"{model}/first.gguf", $"{model}/second.gguf"], report.GetProperty("registered").EnumerateArray()
            .Select(r => r.GetProperty("local_path").GetString()).Where(p => p!.StartsWith(model, StringComparison.Ordinal)));
        var second = (await App.GetAsync($"/api/v1/models/{model}/versions/2")).Json;
        Assert.Equal(($"{model}/second.gguf", 1), (second.GetProperty("local_path").GetString(), second.GetProperty("duplicate_of").GetInt32()));
    }

    [Fact]
    public async Task A_file_the_registry_downloaded_keeps_the_repository_it_was_downloaded_from_and_a_copy_of_it_is_not_registered()
    {
        var org = Name();
        var content = Encoding.UTF8.GetBytes($"weights of {org}");
        Server.MapRedirect($"/hub/{org}/Tiny/resolve/main/tiny.Q4.gguf", $"/lfs/{org}/tiny.Q4.gguf",
            headers: [("X-Linked-Etag", $"\"{Sha256(content)}\"")]);
        Server.MapFile($"/lfs/{org}/tiny.Q4.gguf", content);
        var accepted = await App.Scenario(s =>
        {
            s.Post.SnakeJson(new { model_ref = $"hf:{org}/Tiny/tiny.Q4.gguf" }).ToUrl("/api/v1/downloads");
            s.StatusCodeShouldBe(202);
        });
        await Eventually.HoldsAsync(async () => (await App.GetAsync(accepted.Location!)).Json.GetProperty("state").GetString() == "succeeded");
        var copy = Name();
        Directory.CreateDirectory(Path.Combine(Root, copy));
        File.Copy(Path.Combine(Root, org, "Tiny", "1", "tiny.Q4.gguf"), Path.Combine(Root, copy, "tiny.Q4.gguf"));

        var report = (await App.Scenario(s => { s.Post.Url(Scan); s.StatusCodeShouldBe(200); })).Json;

        Assert.DoesNotContain(report.GetProperty("registered").EnumerateArray(), r => r.GetProperty("local_path").GetString()!.Contains(org, StringComparison.Ordinal));
        Assert.Contains(Skipped(report), s => s == ($"{copy}/tiny.Q4.gguf", "downloaded"));
        var version = (await App.GetAsync($"/api/v1/models/by-path?path={org}/Tiny/1/tiny.Q4.gguf")).Json;
        Assert.Equal(($"{org}/Tiny", 1, "huggingface", $"{org}/Tiny"),
            (version.GetProperty("name").GetString(), version.GetProperty("version").GetInt32(), version.GetProperty("source_type").GetString(),
                version.GetProperty("source_uri").GetString()));
        Assert.Equal(404, (await App.GetAsync($"/api/v1/models/{copy}")).Status);
    }

    [Fact]
    public async Task Symbolic_links_that_lead_outside_the_storage_root_are_not_registered()
    {
        var model = Name();
        var linkedDirectory = Name();
        File.WriteAllText(Path.Combine(_outside, "secret.gguf"), "outside");
        Directory.CreateDirectory(Path.Combine(Root, model));
        File.CreateSymbolicLink(Path.Combine(Root, model, "escape.gguf"), Path.Combine(_outside, "secret.gguf"));
        Directory.CreateSymbolicLink(Path.Combine(Root, linkedDirectory), _outside);

        var report = (await App.Scenario(s => { s.Post.Url(Scan); s.StatusCodeShouldBe(200); })).Json;

        Assert.DoesNotContain(report.GetProperty("registered").EnumerateArray(),
            r => r.GetProperty("name").GetString() is { } name && (name == model || name == linkedDirectory));
        Assert.Contains(Skipped(report), s => s == ($"{model}/escape.gguf", "outside-root"));
        Assert.Contains(Skipped(report), s => s == (linkedDirectory, "symlinked-directory"));
        Assert.Equal(404, (await App.GetAsync($"/api/v1/models/{model}")).Status);
    }

    [Fact]
    public async Task A_file_of_a_locked_model_is_skipped_with_the_reason()
    {
        var model = Name();
        Write($"{model}/v1.gguf", "v1");
        await App.Scenario(s => { s.Post.Url(Scan); s.StatusCodeShouldBe(200); });
        await App.Scenario(s => { s.Post.SnakeJson(new { reason = "frozen" }).ToUrl($"/api/v1/models/{model}/lock"); s.StatusCodeShouldBe(200); });
        Write($"{model}/v2.gguf", "v2");

        var report = (await App.Scenario(s => { s.Post.Url(Scan); s.StatusCodeShouldBe(200); })).Json;

        Assert.Contains(Skipped(report), s => s == ($"{model}/v2.gguf", "model-locked"));
        Assert.Equal(1, (await App.GetAsync($"/api/v1/models/{model}")).Json.GetProperty("latest_version").GetInt32());
    }

    [Fact]
    public async Task Scanning_needs_credentials()
    {
        var model = Name();
        Write($"{model}/weights.gguf", "weights");

        (await App.Scenario(s => { s.Post.Url(Scan); s.Anonymous(); s.StatusCodeShouldBe(401); })).Problem("unauthorized");

        Assert.Equal(404, (await App.GetAsync($"/api/v1/models/{model}")).Status);
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private static IEnumerable<(string?, string?)> Skipped(JsonElement report) =>
        report.GetProperty("skipped_files").EnumerateArray().Select(s => (s.GetProperty("path").GetString(), s.GetProperty("reason").GetString()));

    private static string Name() => "scan-" + Guid.NewGuid().ToString("N")[..10];

    private static string Sha256(string content) => Sha256(Encoding.UTF8.GetBytes(content));

    private static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
