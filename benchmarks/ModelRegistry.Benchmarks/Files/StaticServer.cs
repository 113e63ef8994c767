using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.Benchmarks.Files;

/// <summary>
/// nginx serving one directory on a free loopback port (sendfile, ETag, Range), as its own process with a configuration
/// and prefix of its own, stopped on dispose. Both sides of a download figure fetch from it.
/// </summary>
internal sealed class StaticServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _prefix;

    private StaticServer(Process process, string prefix, int port)
    {
        _process = process;
        _prefix = prefix;
        Port = port;
    }

    public int Port { get; }

    public string Url(string fileName) => $"http://127.0.0.1:{Port}/{fileName}";

    public static async Task<StaticServer> StartAsync(string directory, CancellationToken ct)
    {
        var prefix = System.IO.Directory.CreateTempSubdirectory("mr-bench-nginx-").FullName;
        var port = ServerProcess.FreePort();
        var user = Environment.UserName == "root" ? "user root;" : "";
        await File.WriteAllTextAsync(Path.Combine(prefix, "nginx.conf"), $$"""
            {{user}}
            worker_processes 1;
            daemon off;
            pid {{prefix}}/nginx.pid;
            error_log {{prefix}}/error.log warn;
            events { worker_connections 64; }
            http {
                access_log off;
                sendfile on;
                tcp_nopush on;
                client_body_temp_path {{prefix}}/body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                types { application/octet-stream bin; }
                server {
                    listen 127.0.0.1:{{port}};
                    root {{directory}};
                }
            }
            """, ct);
        var start = new ProcessStartInfo(File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-p", prefix, "-c", Path.Combine(prefix, "nginx.conf") })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start.");
        var server = new StaticServer(process, prefix, port);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync(ct)}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, ct);
                return server;
            }
            catch (SocketException)
            {
                await Task.Delay(50, ct);
            }
        }

        await server.DisposeAsync();
        throw new TimeoutException("nginx did not listen within 5 s.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
        System.IO.Directory.Delete(_prefix, recursive: true);
    }
}
