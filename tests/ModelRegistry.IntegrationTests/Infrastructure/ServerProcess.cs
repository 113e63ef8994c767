using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>
/// The real application (<see cref="ApplicationPath"/>) as a child process on a fixed loopback
/// port, authenticated by a bootstrap admin key, with warnings-only logging. It can be killed with SIGKILL and started
/// again on the same port, database and storage root; disposing kills it.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    public const string AdminKey = "server-process-admin-key";
    private const int MaxOutputChars = 32_000;
    private const int MaxTailLines = 400;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);

    private readonly Dictionary<string, string> _settings;
    private readonly StringBuilder _output = new();
    private readonly Queue<string> _tail = new();
    private long _dropped;
    private Process? _process;

    private ServerProcess(Dictionary<string, string> settings, Uri baseAddress)
    {
        _settings = settings;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>The application's own process id while it runs.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>
    /// An application on <paramref name="connectionString"/> and <paramref name="storageRoot"/>, not yet started.
    /// <paramref name="settings"/> are configuration keys (<c>Registry:Jobs:RunWorker</c>) added to or overriding the defaults.
    /// </summary>
    public static ServerProcess Create(string connectionString, string storageRoot, IReadOnlyDictionary<string, string>? settings = null)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}/");
        var all = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = baseAddress.ToString().TrimEnd('/'),
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings:Registry"] = connectionString,
            ["Registry:Storage:Root"] = storageRoot,
            ["Registry:Auth:BootstrapAdminKey"] = AdminKey,
            // Load from one key: the per-key rate limit is not what these runs measure.
            ["Registry:Limits:MutationsPerSecond"] = "1000000",
            ["Registry:Limits:MutationBurst"] = "1000000",
            ["Logging:LogLevel:Default"] = "Warning",
            // A URL must pass the egress policy to be registered; the loads' URLs are on reserved domains and never fetched.
            ["Registry:Downloads:AllowedHosts"] = "example.com, *.invalid",
            // The periodic jobs run on the hour and at midnight UTC; a run that crossed one would check and clean beside the test.
            ["Registry:Integrity:Interval"] = "00:00:00",
            ["Registry:Storage:CleanupInterval"] = "00:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        return new ServerProcess(all, baseAddress);
    }

    /// <summary>
    /// The application's ModelRegistry.dll in its own build output (the assembly metadata ModelRegistry.ApplicationDirectory),
    /// else the copy next to this assembly. Its own directory holds only its own assemblies: JasperFx's command line loads
    /// every assembly in the directory the application runs from, and a test project's carries more than the application's.
    /// </summary>
    public static string ApplicationPath
    {
        get
        {
            var directory = typeof(ServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "ModelRegistry.ApplicationDirectory")?.Value;
            var app = Path.Combine(directory is { Length: > 0 } && Directory.Exists(directory) ? directory : AppContext.BaseDirectory, "ModelRegistry.dll");
            return File.Exists(app) ? app : throw new FileNotFoundException("The application is not built.", app);
        }
    }

    /// <summary>Starts the application and waits until <c>/health/ready</c> answers 200; returns how long that took.</summary>
    public async Task<TimeSpan> StartAsync(CancellationToken ct = default)
    {
        if (ProcessId is not null)
        {
            throw new InvalidOperationException("The application is already running.");
        }

        var app = ApplicationPath;

        // `dotnet app.dll` runs the application in the host's own process (no child), so this id is the application's.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(app),
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(app);
        foreach (var (key, value) in _settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var clock = Stopwatch.StartNew();
        _process?.Dispose();
        var process = _process = Process.Start(start) ?? throw new InvalidOperationException("The application did not start.");
        process.OutputDataReceived += (_, e) => Capture(e.Data);
        process.ErrorDataReceived += (_, e) => Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await WaitUntilReadyAsync(process, ct);
        }
        catch
        {
            await KillAsync();
            throw;
        }

        return clock.Elapsed;
    }

    /// <summary>SIGKILL, as <c>kill -9</c>: no shutdown code runs. Returns the exit code once the process is gone (137 when the signal killed it).</summary>
    public async Task<int?> KillAsync()
    {
        if (_process is not { } process)
        {
            return null;
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited by itself.
        }

        await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        return process.ExitCode;
    }

    /// <summary>A client whose pool holds at most <paramref name="connections"/> connections, authenticated as the bootstrap admin.</summary>
    public HttpClient CreateClient(int connections = 16, TimeSpan? timeout = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    /// <summary>What the application wrote to stdout and stderr so far (the first 32,000 characters).</summary>
    public string Output()
    {
        lock (_output)
        {
            // The start, and the newest lines past the cap: a failure late in a long run is logged at the end.
            return _tail.Count == 0
                ? _output.ToString()
                : $"{_output}[… {_dropped} lines …]{Environment.NewLine}{string.Join(Environment.NewLine, _tail)}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (TimeoutException)
        {
        }

        _process?.Dispose();
        _process = null;
    }

    private async Task WaitUntilReadyAsync(Process process, CancellationToken ct)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ReadyTimeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The application exited with {process.ExitCode}:{Environment.NewLine}{Output()}");
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
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // Listening but busy starting.
            }

            await Task.Delay(50, ct);
        }

        throw new TimeoutException($"The application was not ready within {ReadyTimeout.TotalSeconds} s:{Environment.NewLine}{Output()}");
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
                return;
            }

            _tail.Enqueue(line);
            if (_tail.Count > MaxTailLines)
            {
                _tail.Dequeue();
                _dropped++;
            }
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
