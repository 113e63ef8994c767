using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.Benchmarks.Http;

/// <summary>
/// The real application as a child process (<see cref="ServerProcess"/>, shared with the tests) with a storage root of
/// its own. Killed and cleaned up on dispose.
/// </summary>
internal sealed class RegistryServer : IAsyncDisposable
{
    private RegistryServer(ServerProcess process, string storageRoot)
    {
        Process = process;
        StorageRoot = storageRoot;
    }

    public ServerProcess Process { get; }

    public string StorageRoot { get; }

    /// <summary>
    /// The application as <c>make run</c> configures it, but for what <see cref="ServerProcess"/> sets (a raised rate limit, no
    /// periodic jobs, warnings only); the download worker runs only where <paramref name="downloads"/> says so, and the application
    /// logs at its own default level (Information) where <paramref name="defaultLogging"/> says so.
    /// </summary>
    public static async Task<RegistryServer> StartAsync(string connectionString, CancellationToken ct, bool downloads = false, bool defaultLogging = false)
    {
        var storageRoot = Directory.CreateTempSubdirectory("mr-bench-storage-").FullName;
        var settings = new Dictionary<string, string>();
        if (!downloads)
        {
            settings["Registry:Jobs:RunWorker"] = "false";
        }

        if (defaultLogging)
        {
            settings["Logging:LogLevel:Default"] = "Information";
        }

        var server = new RegistryServer(ServerProcess.Create(connectionString, storageRoot, settings), storageRoot);
        try
        {
            await server.Process.StartAsync(ct);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>A client whose pool holds at most <paramref name="connections"/> connections, authenticated as the bootstrap admin.</summary>
    public HttpClient CreateClient(int connections) => Process.CreateClient(connections);

    /// <summary>Sends and drains one request; anything but <paramref name="expected"/> ends the scenario with the answer's body.</summary>
    public static async Task SendAsync(HttpClient client, HttpMethod method, string path, byte[]? json, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new ByteArrayContent(json) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        }

        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException(
                $"{method} {path}: {(int)response.StatusCode} instead of {(int)expected}: {Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 2000))}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        try
        {
            Directory.Delete(StorageRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
