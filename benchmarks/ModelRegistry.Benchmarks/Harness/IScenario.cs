namespace ModelRegistry.Benchmarks.Harness;

/// <summary>A family of figures measured against one fresh database; adding a benchmark means adding one of these.</summary>
internal interface IScenario
{
    /// <summary>What <c>scripts/bench.sh NAME</c> selects.</summary>
    string Name { get; }

    Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken ct);
}

/// <param name="ConnectionString">A database created for this scenario and dropped after it.</param>
/// <param name="Quick">A smoke run: short windows, small data sets.</param>
internal sealed record BenchContext(string ConnectionString, bool Quick)
{
    public TimeSpan Warmup => Quick ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a freshly started server is loaded before anything is measured, so its code is fully compiled: on two busy cores
    /// the runtime's tiered compiler was measured still recompiling hot methods 25 s into the register load, and quiet after 35 s.
    /// </summary>
    public TimeSpan ServerWarmup => Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(40);

    /// <summary>How long an in-process baseline client is run before it is measured, for the same reason.</summary>
    public TimeSpan ClientWarmup => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(10);

    public TimeSpan Window => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(5);

    public int Repeats => 3;

    public static void Log(string line) => Console.WriteLine($"  {line}");
}
