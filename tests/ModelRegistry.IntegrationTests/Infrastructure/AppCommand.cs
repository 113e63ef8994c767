using System.Diagnostics;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>What one run of the executable with arguments (one of JasperFx's commands or ours) printed, and its exit code.</summary>
public sealed record AppCommandResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n{Out}\n{Error}";
}

/// <summary>Runs the application (<see cref="ServerProcess.ApplicationPath"/>) with command-line arguments.</summary>
public static class AppCommand
{
    /// <summary>The built application with <paramref name="args"/>, run from its own directory, its output redirected.</summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var app = ServerProcess.ApplicationPath;
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(app),
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(app);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    public static async Task<AppCommandResult> RunAsync(string connectionString, string storageRoot, params string[] args)
    {
        var start = StartInfo(args);

        start.Environment["ConnectionStrings__Registry"] = connectionString;
        start.Environment["Registry__Storage__Root"] = storageRoot;
        start.Environment["Registry__Auth__BootstrapAdminKey"] = RegistryApp.AdminKey;
        start.Environment["Registry__EventStore__RunDaemon"] = "false";
        start.Environment["Registry__Jobs__RunWorker"] = "false";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{string.Join(' ', args)}` did not finish in 90 s:\n{await output}\n{await error}");
        }

        return new AppCommandResult(process.ExitCode, await output, await error);
    }
}
