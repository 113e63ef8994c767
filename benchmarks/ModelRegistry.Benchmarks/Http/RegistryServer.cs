using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace ModelRegistry.Benchmarks.Http;

/// <summary>
/// The real application (the ModelRegistry build copied next to the benchmarks) as a child process on a loopback port,
/// with its own storage root, the download worker off, and warnings-only logging. Killed and cleaned up on dispose.
/// </summary>
internal sealed class RegistryServer : IAsyncDisposable
{
    public const string AdminKey = "bench-bootstrap-admin-key";
    private const int MaxOutputChars = 16_000;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RegistryServer(Process process, Uri baseAddress, string storageRoot)
    {
        _process = process;
        BaseAddress = baseAddress;
        StorageRoot = storageRoot;
    }

    public Uri BaseAddress { get; }

    public string StorageRoot { get; }

    public static async Task<RegistryServer> StartAsync(string connectionString, CancellationToken ct)
    {
        var app = Path.Combine(AppContext.BaseDirectory, "ModelRegistry.dll");
        if (!File.Exists(app))
        {
            throw new FileNotFoundException("The application is not built next to the benchmarks.", app);
        }

        var storageRoot = Directory.CreateTempSubdirectory("mr-bench-storage-").FullName;
        var port = FreePort();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(app);
        start.Environment["ASPNETCORE_URLS"] = baseAddress.ToString().TrimEnd('/');
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__Registry"] = connectionString;
        start.Environment["Registry__Storage__Root"] = storageRoot;
        start.Environment["Registry__Auth__BootstrapAdminKey"] = AdminKey;
        start.Environment["Registry__Jobs__RunWorker"] = "false";
        start.Environment["Registry__Limits__MutationsPerSecond"] = "1000000";
        start.Environment["Registry__Limits__MutationBurst"] = "1000000";
        start.Environment["Logging__LogLevel__Default"] = "Warning";

        var process = Process.Start(start) ?? throw new InvalidOperationException("The application did not start.");
        var server = new RegistryServer(process, baseAddress, storageRoot);
        process.OutputDataReceived += (_, e) => server.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => server.Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await server.WaitUntilReadyAsync(ct);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>A client whose pool holds at most <paramref name="connections"/> connections, authenticated as the bootstrap admin.</summary>
    public HttpClient CreateClient(int connections)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

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
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            // Already gone, or stuck: the storage root is still ours to remove.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(StorageRoot, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The application exited with {_process.ExitCode}:{Environment.NewLine}{Output()}");
            }

            try
            {
                using var response = await client.GetAsync("health/ready", ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, ct);
        }

        throw new TimeoutException($"The application was not ready within 60 s:{Environment.NewLine}{Output()}");
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < MaxOutputChars)
            {
                _output.AppendLine(line);
            }
        }
    }

    private string Output()
    {
        lock (_output)
        {
            return _output.ToString();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
