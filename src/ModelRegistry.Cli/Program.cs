namespace ModelRegistry.Cli;

internal static class Program
{
    public static Task<int> Main(string[] args) => RegistryCommandLine.RunAsync(args, CliContext.FromProcess());
}
