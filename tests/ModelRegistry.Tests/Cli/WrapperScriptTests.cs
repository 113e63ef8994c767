using System.Diagnostics;

namespace ModelRegistry.Tests.Cli;

/// <summary>
/// <c>scripts/modelregistry</c> in a copy of the repository's layout, with a stand-in for <c>dotnet</c> that records what
/// it is asked and exits with the code the test chooses: no real build runs.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class WrapperScriptTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("mr-wrapper-").FullName;

    public WrapperScriptTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "scripts"));
        File.Copy(Path.Combine(RepositoryRoot(), "scripts", "modelregistry"), Path.Combine(_root, "scripts", "modelregistry"));
        Directory.CreateDirectory(Path.Combine(_root, "src", "ModelRegistry.Cli"));
        File.WriteAllText(Path.Combine(_root, "src", "ModelRegistry.Cli", "Program.cs"), "// v1");
        File.WriteAllText(Path.Combine(_root, "dotnet"), """
            #!/usr/bin/env bash
            echo "$*" >> "$(dirname "$0")/calls"
            if [ "$1" = build ]; then
              out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done
              mkdir -p "$out" && touch "$out/ModelRegistry.Cli.dll"; exit 0
            fi
            exit "${FAKE_EXIT:-0}"
            """.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(Path.Combine(_root, "dotnet"), (UnixFileMode)0b111_101_101);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task The_wrapper_exits_with_the_clients_exit_code(int exitCode)
    {
        Assert.Equal(exitCode, await RunAsync(exitCode, "models", "show", "tiny"));
    }

    [Fact]
    public async Task The_client_is_built_once_and_again_only_after_its_sources_change()
    {
        await RunAsync(0, "models", "list");
        await RunAsync(0, "models", "list");
        File.SetLastWriteTimeUtc(Path.Combine(_root, "src", "ModelRegistry.Cli", "Program.cs"), DateTime.UtcNow.AddMinutes(1));
        await RunAsync(0, "models", "list");

        var calls = File.ReadAllLines(Path.Combine(_root, "calls"));
        Assert.Equal(["build", "run", "run", "build", "run"], calls.Select(c => c.StartsWith("build ", StringComparison.Ordinal) ? "build" : "run"));
        Assert.EndsWith(Path.Combine(".data", "cli", "ModelRegistry.Cli.dll") + " models list", calls[^1], StringComparison.Ordinal);
    }

    private async Task<int> RunAsync(int clientExitCode, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(_root, "scripts", "modelregistry"))
        {
            Environment = { ["DOTNET"] = Path.Combine(_root, "dotnet"), ["FAKE_EXIT"] = clientExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory.FullName, "ModelRegistry.sln")))
        {
            directory = directory.Parent ?? throw new InvalidOperationException("The tests do not run inside the repository.");
        }

        return directory.FullName;
    }
}
