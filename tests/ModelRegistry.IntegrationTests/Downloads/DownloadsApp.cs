using Alba;
using ModelRegistry.Catalog;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Downloads;

/// <summary>
/// The app (<see cref="RegistryApp"/>) on a test class's database and storage root with its download worker, allowed to
/// download from the loopback server only, whose <c>/hub</c> is the hub.
/// </summary>
internal static class DownloadsApp
{
    /// <param name="settings">Settings added to or overriding these.</param>
    public static Task<RegistryApp> StartAsync(TestDatabase db, string storageRoot, LoopbackServer server,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var all = Defaults(server);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return RegistryApp.StartAsync(db.ConnectionString, storageRoot, all);
    }

    private static Dictionary<string, string?> Defaults(LoopbackServer server) => new()
        {
            ["Registry:Downloads:AllowedHosts"] = $"127.0.0.1:{server.Port}",
            ["Registry:HuggingFace:Endpoint"] = server.Url("/hub"),
            ["Registry:HuggingFace:Token"] = "hf_test_token",
            ["Registry:Jobs:RunWorker"] = "true",
            ["Registry:Jobs:HeartbeatInterval"] = "00:00:00.100",
            ["Registry:Jobs:BaseBackoff"] = "00:00:00.050",
            // Instances of a class may share its database: none may take the others' messages at start.
            ["Registry:Durability:Mode"] = "Balanced",
            ["Registry:Durability:ScheduledJobPollingTime"] = "00:00:00.100",
        };

    /// <summary>A GET whatever it answers, for tests that wait for a state.</summary>
    public static Task<IScenarioResult> GetAsync(this RegistryApp app, string url) =>
        app.Scenario(s =>
        {
            s.Get.Url(url);
            s.IgnoreStatusCode();
        });

    public static async Task<IReadOnlyList<object>> EventsAsync(this RegistryApp app, string model) =>
        (await app.StreamAsync(model)).Select(e => e.Data).ToList();
}
