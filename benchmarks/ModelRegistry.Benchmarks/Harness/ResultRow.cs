using System.Globalization;

namespace ModelRegistry.Benchmarks.Harness;

/// <summary>One line of the summary: a figure, the baseline measured in the same run, and the goal from SPEC §8.</summary>
internal sealed record ResultRow(string Name, double Measured, string Unit, double? Baseline = null, Goal? Goal = null)
{
    public double? Ratio => Baseline is > 0 ? Measured / Baseline : null;

    public bool? Met => Goal?.IsMetBy(this);
}

internal sealed record Goal(double Limit, bool OnRatio, bool AtMost)
{
    public static Goal RatioAtLeast(double limit) => new(limit, OnRatio: true, AtMost: false);

    public static Goal RatioAtMost(double limit) => new(limit, OnRatio: true, AtMost: true);

    public static Goal AtLeast(double limit) => new(limit, OnRatio: false, AtMost: false);

    public static Goal NoMoreThan(double limit) => new(limit, OnRatio: false, AtMost: true);

    public bool IsMetBy(ResultRow row) => (OnRatio ? row.Ratio : row.Measured) is { } value && (AtMost ? value <= Limit : value >= Limit);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{(AtMost ? "<=" : ">=")} {(OnRatio ? $"{Limit:0.##}x" : $"{Limit:#,0}")}");
}
