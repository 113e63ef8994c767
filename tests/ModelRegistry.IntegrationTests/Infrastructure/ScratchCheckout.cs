using System.Diagnostics;

namespace ModelRegistry.IntegrationTests.Infrastructure;

/// <summary>
/// A temporary directory standing in for a checkout of the repository, for running its scripts and the README's commands:
/// whatever they keep next to the checkout (<c>.data/</c>) lands here and not in the real one. Deleted on dispose.
/// </summary>
public sealed class ScratchCheckout : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("mr-checkout-").FullName;

    /// <summary>The real checkout this test assembly was built in.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModelRegistry.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No ModelRegistry.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>Copies a file of the real checkout to the same place in this one.</summary>
    public void CopyFromRepository(string relativePath)
    {
        var target = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(Path.Combine(RepositoryRoot(), relativePath), target);
    }

    public string Write(string relativePath, string content)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>
    /// Runs a bash script of this checkout from its root, with <paramref name="environment"/> added to (or, with a null value,
    /// removed from) this process's.
    /// </summary>
    public async Task<ScriptResult> BashAsync(string relativePath, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = Root,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(Root, relativePath));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"bash {relativePath} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return new ScriptResult(process.ExitCode, await output, await error);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public sealed record ScriptResult(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}{Environment.NewLine}stdout:{Environment.NewLine}{Out}{Environment.NewLine}stderr:{Environment.NewLine}{Error}";
}
