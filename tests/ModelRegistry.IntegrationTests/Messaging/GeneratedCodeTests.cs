using System.Diagnostics;
using ModelRegistry.IntegrationTests.Infrastructure;

namespace ModelRegistry.IntegrationTests.Messaging;

/// <summary>
/// The application loads Wolverine's handler code only from what is committed in <c>src/ModelRegistry/Internal/Generated</c>
/// (TypeLoadMode.Static, no runtime compiler). The built application's own <c>codegen write</c>, aimed at a temporary
/// content root, must render exactly those files: a handler added or changed without regenerating fails here (and would
/// stop the application's start).
/// </summary>
public sealed class GeneratedCodeTests
{
    /// <summary>The one command that regenerates the committed code.</summary>
    public const string Regenerate = "make codegen";

    private const string Committed = "src/ModelRegistry/Internal/Generated";

    [Fact]
    public async Task The_committed_generated_code_is_what_codegen_write_renders_now()
    {
        using var scratch = new ScratchCheckout();
        var written = await CodegenWriteAsync(scratch.Root);
        var expected = Files(Path.Combine(scratch.Root, "Internal", "Generated"));
        var actual = Files(Path.Combine(ScratchCheckout.RepositoryRoot(), Committed));

        Assert.True(expected.Count > 0, $"codegen write rendered nothing:{Environment.NewLine}{written}");
        var differences = expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal)
            .Select(file => (actual.TryGetValue(file, out var have), expected.TryGetValue(file, out var want)) switch
            {
                (false, _) => $"  missing:   {file}",
                (_, false) => $"  left over: {file} (no handler generates it any more)",
                _ when have != want => $"  changed:   {file}",
                _ => null,
            })
            .OfType<string>()
            .ToList();
        Assert.True(differences.Count == 0,
            $"The generated handler code committed in {Committed} is stale: a Wolverine handler was added, removed or changed " +
            $"without regenerating it, and the application would not start (ExpectedTypeMissingException or stale behaviour). " +
            $"Regenerate it from the repository's root with{Environment.NewLine}{Environment.NewLine}    {Regenerate}{Environment.NewLine}{Environment.NewLine}" +
            $"(it runs `rm -rf {Committed} && dotnet run --project src/ModelRegistry -c Release -- codegen write`), then commit {Committed}." +
            $"{Environment.NewLine}Differences (committed against rendered now):{Environment.NewLine}{string.Join(Environment.NewLine, differences)}");
    }

    /// <summary>
    /// The built application's <c>codegen write</c> with <paramref name="contentRoot"/> as its content root, as <c>make codegen</c>
    /// runs it: default settings, a connection string that is never opened.
    /// </summary>
    private static async Task<string> CodegenWriteAsync(string contentRoot)
    {
        var start = AppCommand.StartInfo("codegen", "write", "--contentroot", contentRoot);

        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("Registry__", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["ConnectionStrings__Registry"] = "Host=127.0.0.1;Port=1;Database=codegen";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));
        var result = $"exit {process.ExitCode}{Environment.NewLine}{await output}{Environment.NewLine}{await error}";
        Assert.True(process.ExitCode == 0, $"codegen write failed:{Environment.NewLine}{result}");
        return result;
    }

    /// <summary>Each .cs file under <paramref name="root"/> by its relative path, with line endings as LF.</summary>
    private static Dictionary<string, string> Files(string root) =>
        Directory.Exists(root)
            ? Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).ToDictionary(
                f => Path.GetRelativePath(root, f).Replace('\\', '/'),
                f => File.ReadAllText(f).ReplaceLineEndings("\n"),
                StringComparer.Ordinal)
            : [];
}
