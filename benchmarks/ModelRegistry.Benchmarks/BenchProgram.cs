namespace ModelRegistry.Benchmarks;

internal static class BenchProgram
{
    public static void Main(string[] args) =>
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(BenchProgram).Assembly).Run(args);
}
