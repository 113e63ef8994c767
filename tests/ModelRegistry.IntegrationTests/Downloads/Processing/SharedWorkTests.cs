using System.Security.Cryptography;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Downloads.Processing;

public sealed class SharedWorkTests(TestDatabase db) : DownloadsTestClass(db), IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Two_instances_share_the_downloads_and_no_file_is_fetched_or_published_twice()
    {
        await using var second = await StartAnotherAsync();
        var files = Enumerable.Range(0, 8).Select(_ => (Name: $"shared-{Guid.NewGuid():N}"[..16], Content: RandomNumberGenerator.GetBytes(200_000))).ToList();
        foreach (var (file, i) in files.Select((f, i) => (f, i)))
        {
            Server.MapFile($"/files/{file.Name}.gguf", file.Content);
            var app = i % 2 == 0 ? App : second;
            await app.Scenario(s =>
            {
                s.Post
                    .SnakeJson(new { model_ref = Server.Url($"/files/{file.Name}.gguf"), sha256 = Convert.ToHexStringLower(SHA256.HashData(file.Content)) })
                    .ToUrl("/api/v1/downloads");
                s.StatusCodeShouldBe(202);
            });
        }

        foreach (var file in files)
        {
            await Eventually.HoldsAsync(async () => (await App.GetAsync($"/api/v1/models/{file.Name}/versions/1")).Json.GetProperty("status").GetString() == "ready");
        }

        foreach (var file in files)
        {
            Assert.Single(Server.RequestsTo($"/files/{file.Name}.gguf"));
            var events = await App.EventsAsync(file.Name);
            Assert.Single(events.OfType<VersionDownloadStarted>());
            Assert.Single(events.OfType<VersionDownloaded>());
        }
    }
}
