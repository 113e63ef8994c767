using System.Diagnostics;
using Npgsql;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster of one test's own (initdb into /var/tmp, a free loopback port), for tests that
/// restart the database server; the shared test server is never touched. Stopped and deleted on dispose. As root,
/// the server binaries run as the postgres OS user, as scripts/db.sh does.
/// </summary>
public sealed class PrivateCluster : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _data;

    private PrivateCluster(string bin, string data, int port)
    {
        _bin = bin;
        _data = data;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=registry;Pooling=true;MaxPoolSize=40";

    public static async Task<PrivateCluster> StartAsync()
    {
        var cluster = new PrivateCluster(await BinDirectoryAsync(), $"/var/tmp/mr-test-pg-{Guid.NewGuid():N}", ServerProcess.FreePort());
        try
        {
            await cluster.PgAsync("initdb", "-D", cluster._data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync");
            await cluster.PgAsync("pg_ctl", "start", "-D", cluster._data, "-w", "-t", "60", "-l", Path.Combine(cluster._data, "server.log"), "-o",
                $"-p {cluster.Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=100");
            await using var conn = new NpgsqlConnection($"Host=127.0.0.1;Port={cluster.Port};Username=postgres;Database=postgres;Pooling=false");
            await conn.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE registry", conn);
            await create.ExecuteNonQueryAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary><c>pg_ctl restart -m immediate</c>: every backend is killed without a checkpoint, the server recovers from its WAL.</summary>
    public Task RestartImmediatelyAsync() => PgAsync("pg_ctl", "restart", "-D", _data, "-m", "immediate", "-w", "-t", "60");

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(_data, "postmaster.pid")))
        {
            await PgAsync("pg_ctl", "stop", "-D", _data, "-m", "immediate", "-w", "-t", "60");
        }

        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private Task PgAsync(string program, params string[] args) => RunAsync(Path.Combine(_bin, program), args);

    private static async Task RunAsync(string program, params string[] args)
    {
        // initdb and pg_ctl refuse to run as root; "/" because the caller's directory may be closed to postgres.
        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "runuser" : program)
        {
            WorkingDirectory = "/",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in asRoot ? ["-u", "postgres", "--", program, .. args] : args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }

    internal static async Task<string> BinDirectoryAsync()
    {
        // pg_config may come from libpq-dev without a server; the packaged servers are the fallback, newest first.
        var start = new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true, UseShellExecute = false };
        string? fromConfig = null;
        try
        {
            using var process = Process.Start(start)!;
            fromConfig = (await process.StandardOutput.ReadToEndAsync()).Trim();
            await process.WaitForExitAsync();
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }

        var packaged = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).Select(d => Path.Combine(d, "bin"))
            : [];
        return new[] { fromConfig }.Concat(packaged).FirstOrDefault(d => d is not null && File.Exists(Path.Combine(d, "initdb")))
               ?? throw new InvalidOperationException("No PostgreSQL server binaries (initdb): install the postgresql package.");
    }
}
